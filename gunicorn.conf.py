"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py bank_project.wsgi`.

Everything tunable comes from the environment (see docs/operations.md).
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


# Render (and most PaaS) say which port to listen on in $PORT.
bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{_int('PORT', 8000)}"

# Sync workers: every request is short and database-bound, and each worker holds at most one
# database connection (so workers x instances must stay under PostgreSQL's max_connections).
# The usual 2 x cores + 1, capped: a container often reports the host's cores, not its share.
worker_class = "sync"
workers = _int("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 8))
# GUNICORN_THREADS > 1 makes them gthread workers; then give each a DB_POOL_MAX_SIZE that
# many threads share (docs/resilience.md: requests queue on the pool, not on PostgreSQL).
threads = _int("GUNICORN_THREADS", 1)

# A request that takes longer than this is killed (and logged); the proxy in front has its own.
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)

# Recycle workers now and then, staggered, so that a slow leak never takes the service down.
# Not often: a new worker starts cold (a new PostgreSQL backend with empty catalog caches,
# statements planned again until prepared, a new Redis connection). At 2,000 a worker was
# replaced every ~6 s at the benchmark's rate, and the restarts were its p99 spikes and a
# fifth of its database CPU per transfer (docs/benchmarks.md).
max_requests = _int("GUNICORN_MAX_REQUESTS", 50000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 5000)

# Import the app once in the master: a broken deploy fails at start, not on first request.
# Database connections are opened lazily, after the fork, so none is shared between workers.
preload_app = True

# Django logs one JSON line per request, with its request id (bank_project.middleware);
# gunicorn's own access log would only repeat it. GUNICORN_ACCESS_LOG=- turns it back on.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

# Heartbeat files in memory: a container's disk-backed /tmp can stall workers into timeouts.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

# gunicorn's control socket (under $HOME) is not used; two servers on one machine would share it.
control_socket_disable = True

# X-Forwarded-Proto from the TLS-terminating proxy is handled by Django
# (SECURE_PROXY_SSL_HEADER); gunicorn trusts forwarded headers only from these addresses.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
