"""Tokens, each bound to a server-side login session (usersessions.Session) by its `sid` claim.

A login answers three tokens of one session:
- `access` (JWT_ACCESS_MINUTES) and `refresh` (JWT_REFRESH_DAYS): for Bearer clients that refresh;
- `token`: what the old web client keeps and never refreshes. It is an access token that lives
  as long as a session may (SESSION_MAX_HOURS); the session's idle limit ends it sooner.
Whatever the token's own expiry says, a token whose session has ended is refused
(accounts.authentication), so logout, logout-all and a password change take effect at once
and for good: the database, not a cache, holds the truth.
"""

from datetime import timedelta

from django.conf import settings
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

SESSION_CLAIM = "sid"


def issue_tokens(user, session=None) -> dict:
    """Tokens of `session` (a new session of `user` when None: tests, benchmarks)."""
    if session is None:
        from usersessions.services import open_session

        session = open_session(user=user)
    refresh = RefreshToken.for_user(user)
    refresh[SESSION_CLAIM] = session.pk
    access = refresh.access_token  # copies the sid claim
    client_token = AccessToken.for_user(user)
    client_token[SESSION_CLAIM] = session.pk
    client_token.set_exp(from_time=client_token.current_time, lifetime=timedelta(hours=settings.SESSION_MAX_HOURS))
    return {
        "access": str(access), "refresh": str(refresh), "token": str(client_token), "user_id": user.pk,
        "role": user.role, "session_id": session.pk,
    }
