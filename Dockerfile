# The bank API: gunicorn serving Django, static files by whitenoise.
# Build: docker build -t bank-api .   Run: see docs/operations.md (DATABASE_URL, SECRET_KEY, ...).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=8000

WORKDIR /app

# PDF statements (WeasyPrint) lay out text with Pango and HarfBuzz, in DejaVu fonts.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

# Dependencies first: this layer is rebuilt only when requirements.txt changes.
# Every runtime package ships binary wheels for this image (psycopg[binary], argon2-cffi, orjson).
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# Static files (admin, Swagger UI) are collected and compressed at build time. The settings
# need no database or real secret for this; DEBUG=0 selects the hashed, compressed storage.
RUN DEBUG=0 SECRET_KEY=collectstatic-only-not-a-secret python manage.py collectstatic --noinput

# The app runs as an unprivileged user that owns nothing in /app: the code is read-only to it.
RUN useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin bank
USER bank

EXPOSE 8000

# Migrations run before each release (render.yaml's preDeployCommand, or see docs/operations.md).
# The same image is the worker (close of business, notification emails), with another command:
#   docker run ... bank-api celery -A bank_project worker --beat --loglevel=info --concurrency=2
CMD ["gunicorn", "-c", "gunicorn.conf.py", "bank_project.wsgi"]
