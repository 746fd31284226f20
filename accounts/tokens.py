"""Token revocation: a revoked token's id (jti) sits in the shared cache until it expires.

The cache is Redis or the database (settings.CACHES), so every worker sees a logout.
"""

import time

from django.core.cache import cache
from rest_framework_simplejwt.tokens import RefreshToken

_PREFIX = "revoked-jti:"


def revoke(token) -> None:
    """Refuse `token` (an access or refresh token object) from now until it expires."""
    remaining = int(token["exp"] - time.time()) + 1
    if remaining > 0:
        cache.set(_PREFIX + str(token["jti"]), 1, timeout=remaining)


def is_revoked(token) -> bool:
    return cache.get(_PREFIX + str(token.get("jti", ""))) is not None


def predates_password_change(token, user) -> bool:
    """True for a token issued before the user's last password change."""
    cutoff = user.tokens_valid_after
    return cutoff is not None and int(token.get("iat", 0)) < int(cutoff.timestamp())


def issue_tokens(user) -> dict:
    refresh = RefreshToken.for_user(user)
    access = str(refresh.access_token)
    return {"access": access, "refresh": str(refresh), "token": access, "user_id": user.pk, "role": user.role}
