# The bank API: nginx in front of gunicorn serving Django (deploy/serve), static files by whitenoise.
# Build: docker build -t bank-api .   Run: see docs/operations.md (DATABASE_URL, SECRET_KEY, ...).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=8000

WORKDIR /app

# PDF statements (WeasyPrint) lay out text with Pango and HarfBuzz, in DejaVu fonts.
# nginx buffers whole requests and responses so that slow clients cannot hold gunicorn's
# sync workers (docs/resilience.md); it runs as the unprivileged user like the app.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
       nginx \
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

# Ready when the database answers (Redis down alone is "degraded", still ready): /readyz.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/readyz' % os.environ.get('PORT', '8000'), timeout=4)"

# Migrations run before each release (render.yaml's preDeployCommand, or see docs/operations.md).
# The same image is the worker (close of business, notification emails), with another command:
#   docker run ... bank-api celery -A bank_project worker --beat --loglevel=info --concurrency=2
# nginx on $PORT, gunicorn (gunicorn.conf.py) behind it on a unix socket.
CMD ["/app/deploy/serve"]
