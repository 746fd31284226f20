"""Throttles whose switch and rates are read from settings at request time.

DRF's stock throttles read their rates once, at import; reading them per request lets
`API_THROTTLE=off` and test overrides take effect. Counters live in the default cache
(Redis or the database), which every worker process shares.
"""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class BankRateThrottle(SimpleRateThrottle):
    """Base: rate from settings.THROTTLE_RATES[scope]; no rate means no limit."""

    def __init__(self):  # the rate is resolved per request, in allow_request
        pass

    def get_rate(self):
        return settings.THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        if not settings.API_THROTTLE:
            return True
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def ident_for(self, request):
        if request.user and request.user.is_authenticated:
            return f"user-{request.user.pk}"
        return f"ip-{self.get_ident(request)}"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.ident_for(request)}


class AnonRateThrottle(BankRateThrottle):
    scope = "anon"

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return None  # users are counted by UserRateThrottle
        return super().get_cache_key(request, view)


class UserRateThrottle(BankRateThrottle):
    scope = "user"

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        return super().get_cache_key(request, view)


class ScopedRateThrottle(BankRateThrottle):
    """Counts per user (or IP when anonymous) under the view's `throttle_scope`."""

    def allow_request(self, request, view):
        self.scope = getattr(view, "throttle_scope", None)
        if not self.scope:
            return True
        return super().allow_request(request, view)


class IPScopedRateThrottle(ScopedRateThrottle):
    """Counts per client IP even for logged-in users (registration, contact form)."""

    def ident_for(self, request):
        return f"ip-{self.get_ident(request)}"


class MoneyMovementThrottle(ScopedRateThrottle):
    """Counts only the POSTs that move money, per user."""

    def allow_request(self, request, view):
        if request.method != "POST":
            return True
        return super().allow_request(request, view)
