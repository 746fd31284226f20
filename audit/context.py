"""Where a request came from (client IP, request id), for the audit rows written while it runs.

Services do not see the request; the middleware puts these in a context variable, which
is per thread and per asyncio task, and resets it when the request ends.
"""

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    ip: str | None = None
    request_id: str = ""


_NO_REQUEST = RequestContext()
_current: ContextVar[RequestContext | None] = ContextVar("audit_request_context", default=None)


def current() -> RequestContext:
    return _current.get() or _NO_REQUEST


class AuditContextMiddleware:
    """After RequestIdMiddleware: records the request id and the client IP (as the throttles
    see it, so X-Forwarded-For is trusted only behind NUM_PROXIES known proxies)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from bank_project.api.throttling import BankRateThrottle

        ip = BankRateThrottle().get_ident(request) or None
        token = _current.set(RequestContext(ip=ip, request_id=getattr(request, "request_id", "")))
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)
