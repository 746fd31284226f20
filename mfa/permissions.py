from rest_framework.permissions import BasePermission

from .services import require_fresh_factor


class FreshSecondFactor(BasePermission):
    """Risky actions: with STAFF_MFA_REQUIRED, staff need X-OTP-Code or a recent step-up
    (401 `mfa_required` otherwise). Put it after the capability check, so a caller without
    the capability gets 403 and spends no code."""

    def has_permission(self, request, view):
        require_fresh_factor(request)
        return True
