"""Health endpoints for load balancers and orchestrators (no auth, no HTTPS redirect).

- /healthz: liveness, cheap: 200 when the database answers `SELECT 1`.
- /readyz: readiness, tells the truth about each dependency, each with a short timeout:
  503 when the database is down (this instance cannot serve), 200 `"degraded"` when only
  Redis is down (it serves, slower and with throttles open), 200 `"ok"` otherwise.
"""

from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.http import JsonResponse


def _database_ok() -> bool:
    try:
        pool = getattr(connection, "pool", None)
        if pool is not None and connection.connection is None:
            # Wait for a pooled connection only briefly: a probe must answer fast.
            pool.open()
            with pool.connection(timeout=settings.READYZ_DB_TIMEOUT) as conn:
                conn.execute("SELECT 1")
            return True
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any database failure means "not ready", never a 500
        return False
    return True


def healthz(request):
    """200 when the database answers a query, 503 otherwise."""
    if _database_ok():
        return JsonResponse({"status": "ok", "database": "ok"})
    return JsonResponse({"status": "unavailable", "database": "down"}, status=503)


def readyz(request):
    checks = {"database": "ok" if _database_ok() else "down"}
    cache = caches["default"]
    if hasattr(cache, "ping"):  # Redis (bank_project.cache.ResilientRedisCache)
        checks["redis"] = "ok" if cache.ping() else "down"
    if checks["database"] != "ok":
        status, code = "unavailable", 503
    elif "down" in checks.values():
        status, code = "degraded", 200
    else:
        status, code = "ok", 200
    body = {"status": status, "checks": checks}
    breaker = getattr(cache, "breaker", None)
    if breaker is not None:  # this worker process's view: state, errors, skipped calls
        body["circuit_breaker"] = breaker.snapshot()
    response = JsonResponse(body, status=code)
    response["Cache-Control"] = "no-store"
    if code == 503:
        response["Retry-After"] = str(settings.RETRY_AFTER_SECONDS)
    return response
