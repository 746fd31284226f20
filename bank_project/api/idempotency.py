"""Idempotency-Key for money-moving POSTs (IETF draft-ietf-httpapi-idempotency-key-header).

The key row is inserted in the same database transaction as the movement and carries the
response when that transaction commits. A retry with the same key and body replays the
stored response; a concurrent retry waits on the unique index until the first commits,
then replays. The same key with another body is refused (422). A failed request stores
nothing (its transaction rolled back), so it may be retried with the same key.
"""

import hashlib
from datetime import timedelta

import orjson
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from bank_project.errors import Conflict, DomainError
from transactions.models import IdempotencyKey

HEADER = "Idempotency-Key"

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="Retry-safe key (1-255 printable ASCII characters). The same key and body replay the "
    "first response without moving money again; the same key with another body is refused (422).",
)


class IdempotencyKeyReused(DomainError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    code = "idempotency_key_reused"
    default_message = "This Idempotency-Key was already used with a different request body."


class IdempotentRequestInProgress(Conflict):
    code = "idempotency_request_in_progress"
    default_message = "A request with this Idempotency-Key is still being processed; retry shortly."


def _fingerprint(request) -> str:
    body = orjson.dumps(request.data, option=orjson.OPT_SORT_KEYS, default=str)
    return hashlib.sha256(request.method.encode() + b" " + request.path.encode() + b"\n" + body).hexdigest()


def _valid_key(key: str) -> bool:
    return 1 <= len(key) <= 255 and key.isascii() and key.isprintable()


def run_idempotently(request, operation) -> Response:
    """Run `operation()` (which returns a Response) at most once per user and key."""
    key = request.headers.get(HEADER)
    if key is None:
        return operation()
    if not _valid_key(key):
        raise ValidationError({HEADER: ["Send 1 to 255 printable ASCII characters."]})
    fingerprint = _fingerprint(request)

    with transaction.atomic():
        record, replay = _claim(request.user, key, fingerprint)
        if replay is not None:
            return replay
        response = operation()
        record.response_status = response.status_code
        record.response_body = response.data
        record.save(update_fields=["response_status", "response_body"])
        return response


def _claim(user, key: str, fingerprint: str):
    now = timezone.now()
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(user=user, key=key, fingerprint=fingerprint, created_at=now), None
    except IntegrityError:
        pass
    existing = IdempotencyKey.objects.select_for_update().get(user=user, key=key)
    if existing.created_at < now - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS):
        # Expired: the key starts a new life.
        existing.delete()
        return IdempotencyKey.objects.create(user=user, key=key, fingerprint=fingerprint, created_at=now), None
    if existing.fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    if existing.response_status is None:
        raise IdempotentRequestInProgress()
    replay = Response(existing.response_body, status=existing.response_status)
    replay["Idempotent-Replayed"] = "true"
    return existing, replay


def purge_expired_keys() -> int:
    cutoff = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
