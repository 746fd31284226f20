"""Every error is JSON, and a dependency that is briefly away is a 503, not a 500.

- `transient_failure_response` answers a database that is unreachable, out of
  connections, restarting or past a time limit (lock_timeout, statement_timeout, the
  pool's wait) with 503 `{"detail", "code": "service_unavailable"}` and `Retry-After`.
  The request's transaction has rolled back: nothing was changed, so the client may retry
  (with the same Idempotency-Key for money).
- `server_error` (urls.handler500) answers any other unhandled exception with 500 JSON, and
  a transient one with the 503 above, for views outside DRF and failures in middleware.
- `not_found`, `bad_request`, `permission_denied`: JSON instead of Django's HTML pages.

Each answer carries the request id (also in the X-Request-ID header), and the failure is
logged with it.
"""

import logging
import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import JsonResponse

logger = logging.getLogger("bank.errors")


def is_transient_db_error(exc: BaseException | None) -> bool:
    """True for database failures that retrying later can cure.

    On PostgreSQL, psycopg raises OperationalError for exactly those: connection failures
    (08xxx), too many connections and other resource limits (53xxx), a cancelled statement
    or a server shutting down (57xxx: statement_timeout, restarts), lock_timeout (55P03),
    deadlocks and serialization failures (40xxx), and psycopg_pool's PoolTimeout. A closed
    connection is an InterfaceError. On SQLite only "database is locked" is transient
    (its OperationalError also means "no such table", which is a bug).
    """
    if isinstance(exc, InterfaceError):
        return True
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    if cause is not None and type(cause).__module__.startswith("sqlite3"):
        return "locked" in str(cause) or "busy" in str(cause)
    return True


def retry_after_seconds() -> int:
    return getattr(settings, "RETRY_AFTER_SECONDS", 2)


def _request_id(request) -> str | None:
    return getattr(request, "request_id", None)


def transient_failure_response(request, exc: BaseException) -> JsonResponse:
    logger.warning(
        "database unavailable: %s: %s", type(exc).__name__, str(exc).strip().splitlines()[0] if str(exc) else "",
        extra={"request_id": _request_id(request), "path": getattr(request, "path", None)},
    )
    response = JsonResponse(
        {
            "detail": "The service is briefly unavailable. Nothing was changed; please retry shortly.",
            "code": "service_unavailable",
            "request_id": _request_id(request),
        },
        status=503,
    )
    response["Retry-After"] = str(retry_after_seconds())
    return response


def server_error(request, *args, **kwargs):
    """handler500: Django has logged the exception (with the request) before calling this."""
    exc = sys.exc_info()[1]
    if is_transient_db_error(exc):
        return transient_failure_response(request, exc)
    return JsonResponse(
        {
            "detail": "Something went wrong on our side. It has been logged; please quote the request id.",
            "code": "server_error",
            "request_id": _request_id(request),
        },
        status=500,
    )


def not_found(request, exception=None):
    return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)


def bad_request(request, exception=None):
    return JsonResponse({"detail": "Bad request.", "code": "bad_request"}, status=400)


def permission_denied(request, exception=None):
    return JsonResponse(
        {"detail": "You do not have permission to perform this action.", "code": "permission_denied"}, status=403
    )
