# `make run`: venv, install, migrate, demo data, serve on 127.0.0.1:8000 (SQLite, DEBUG on).
# `make test`: venv, install, the whole test suite (SQLite unless DATABASE_URL says otherwise).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run worker test test-postgres test-faults bench check clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

run: $(VENV)/.installed
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py seed_demo
	DEBUG=1 $(PY) manage.py runserver 127.0.0.1:8000

# `make worker`: a Celery worker with beat embedded (close of business at 00:30, the notification
# sweep every minute), against the database `make run` migrated; needs Redis (CELERY_BROKER_URL,
# default redis://127.0.0.1:6379/0). Emails go to this console.
worker: $(VENV)/.installed
	DEBUG=1 $(VENV)/bin/celery -A bank_project worker --beat --loglevel=info --concurrency=2

# Checks use the test settings: like production they run with DEBUG off, with a test key.
CHECK_ENV := DJANGO_SETTINGS_MODULE=bank_project.settings_test

test: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(CHECK_ENV) $(PY) manage.py check
	$(CHECK_ENV) $(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest -q

test-postgres: $(VENV)/.installed
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/bank $(MAKE) test

# The fault suite (tests/faults): its own PostgreSQL cluster, Redis and nginx + gunicorn.
test-faults: $(VENV)/.installed
	$(PY) -m pytest -q -m faults tests/faults

bench: $(VENV)/.installed
	$(PY) bench/run.py $(BENCH_ARGS)

check: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(CHECK_ENV) $(PY) manage.py check
	$(CHECK_ENV) $(PY) manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
