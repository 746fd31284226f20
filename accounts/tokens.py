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

import jwt
from django.conf import settings
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.state import token_backend
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


def signed_session(raw: str | None, token_class) -> tuple[int, int] | None:
    """(user id, session id) of a `token_class` token this server signed, expired or not;
    None for anything else (malformed, forged, the other token type, no session).

    For logout only: a token that has expired can no longer act, but it still proves which
    session it belongs to, and ending that session is all logout does with it. Refusing it
    would leave the session alive (a Bearer client's access token expires long before its
    session does)."""
    if not raw:
        return None
    backend = token_backend
    try:
        payload = jwt.decode(
            raw,
            backend.get_verifying_key(raw),
            algorithms=[backend.algorithm],
            audience=backend.audience,
            issuer=backend.issuer,
            options={"verify_aud": backend.audience is not None, "verify_exp": False},
        )
    except (jwt.InvalidTokenError, ValueError):
        return None
    if payload.get(api_settings.TOKEN_TYPE_CLAIM) != token_class.token_type:
        return None
    try:
        return int(payload[api_settings.USER_ID_CLAIM]), int(payload[SESSION_CLAIM])
    except (KeyError, TypeError, ValueError):
        return None
