from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings

from usersessions.models import Session
from usersessions.services import SessionEnded, check_and_touch

from .tokens import SESSION_CLAIM


def live_session(token) -> Session:
    """The token's login session with its user (both profiles, the customer's account) in one
    query, checked alive and touched; InvalidToken when it has ended, idled out or aged out."""
    session_id = token.get(SESSION_CLAIM)
    user_id = token.get(api_settings.USER_ID_CLAIM)
    if session_id is None or user_id is None:
        raise InvalidToken({"detail": _("This token belongs to no session; log in again."), "code": "token_not_valid"})
    # A slice, not .first(): .first()'s ORDER BY costs every request a sort of one row
    # (measured: docs/benchmarks.md, "Decisions the code owes to measurements").
    found = list(
        Session.objects.select_related("user__customer__account", "user__manager")
        .filter(pk=session_id, user_id=user_id)[:1]
    )
    if not found:
        raise InvalidToken({"detail": SessionEnded.default_message, "code": SessionEnded.code})
    session = found[0]
    try:
        check_and_touch(session)
    except SessionEnded as exc:
        raise InvalidToken({"detail": exc.message, "code": exc.code}) from exc
    return session


class BankJWTAuthentication(JWTAuthentication):
    """simplejwt, plus: the token's login session must be alive (usersessions), and the user
    comes with it, with both profiles and the customer's account, in the same one query."""

    def get_user(self, validated_token):
        session = live_session(validated_token)
        user = session.user
        if not user.is_active:
            raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
        user.login_session = session
        return user
