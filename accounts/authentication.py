from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings

from .models import User
from .tokens import is_revoked, predates_password_change


class BankJWTAuthentication(JWTAuthentication):
    """simplejwt, plus: revoked tokens are refused, and the user comes with both profiles
    and the customer's account in one query, so role checks and "my account" cost nothing more."""

    def get_validated_token(self, raw_token):
        token = super().get_validated_token(raw_token)
        if is_revoked(token):
            raise InvalidToken({"detail": _("Token has been revoked."), "code": "token_revoked"})
        return token

    def get_user(self, validated_token):
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as exc:
            raise InvalidToken(_("Token contained no recognizable user identification")) from exc
        # A slice, not .first(): .first()'s ORDER BY costs every request a sort of one row
        # (measured: docs/benchmarks.md, "Decisions the code owes to measurements").
        found = list(
            User.objects.select_related("customer__account", "manager")
            .filter(**{api_settings.USER_ID_FIELD: user_id})[:1]
        )
        user = found[0] if found else None
        if user is None:
            raise AuthenticationFailed(_("User not found"), code="user_not_found")
        if not user.is_active:
            raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
        if predates_password_change(validated_token, user):
            raise InvalidToken({"detail": _("The password has changed since this token was issued; log in again."),
                                "code": "token_revoked"})
        return user
