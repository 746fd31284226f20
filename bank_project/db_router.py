"""Reads from a streaming replica, with read-your-writes (issue 15).

Installed only when DATABASE_REPLICA_URL is set (settings add the `replica` alias, this
router and `ReplicaMiddleware`); without it nothing here runs.

A read goes to the replica only when all of these hold, else to the primary (`default`):

- the request is a safe one (GET/HEAD/OPTIONS): `ReplicaMiddleware` opens the request's
  replica window; management commands, workers and writes never read from the replica;
- the model is one of the read-only endpoints' data (the ledger, which lists, statements and
  reports read; loans; the service catalogue; the audit trail): users, sessions, tokens,
  idempotency keys, staff capabilities, second factors and the cache table are always read
  on the primary, so a revoked session or a just-granted role is never judged on stale rows,
  and so are payments (a checkout or gateway return page must find the payment just started);
- no transaction is open on the primary (`transaction.atomic`, hence every
  `select_for_update`, stays on the primary);
- the user is not pinned: any unsafe request (POST/PUT/PATCH/DELETE) by an authenticated
  user pins them to the primary for REPLICA_PIN_SECONDS, in the shared cache (Redis), so
  their next reads, on any app node, see their own write;
- the replica is healthy: reachable, and replaying no more than REPLICA_MAX_LAG_SECONDS
  behind. The check is one query on the replica, cached in the process for
  REPLICA_CHECK_SECONDS.

If the replica fails during a request anyway (it went down between two checks), the
middleware marks it down and runs the safe request again on the primary.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connections

logger = logging.getLogger("bank.replica")

REPLICA = "replica"
PRIMARY = "default"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# The read-only endpoints' data. Anything not listed is read on the primary.
REPLICA_APPS = frozenset({"transactions", "loans", "services", "audit"})
PRIMARY_ONLY_MODELS = frozenset({"transactions.idempotencykey"})

# One check query: is it a standby, and how far behind is its replay? A standby that has
# replayed everything it received is not behind, however old its last commit (an idle
# primary sends nothing to replay).
LAG_SQL = """
SELECT pg_is_in_recovery(),
       CASE WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0
            ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 1e9)
       END
"""


def pin_key(user_pk) -> str:
    return f"replica-pin:{user_pk}"


def pin(user_pk) -> None:
    """Send this user's reads to the primary for REPLICA_PIN_SECONDS."""
    cache.set(pin_key(user_pk), 1, timeout=settings.REPLICA_PIN_SECONDS)


@dataclass
class _RequestState:
    request: object
    pinned: bool | None = None  # looked up once per request, at the first replica read by a known user
    used_replica: bool = False
    disabled: bool = False


_state: contextvars.ContextVar[_RequestState | None] = contextvars.ContextVar("replica_request", default=None)


class _Health:
    """The replica's health as last checked by this process."""

    def __init__(self):
        self.lock = threading.Lock()
        self.checked_at = float("-inf")
        self.healthy = False
        self.lag: float | None = None

    def is_healthy(self) -> bool:
        now = time.monotonic()
        if now - self.checked_at < settings.REPLICA_CHECK_SECONDS:
            return self.healthy
        with self.lock:
            if now - self.checked_at >= settings.REPLICA_CHECK_SECONDS:
                self.healthy, self.lag = self._check()
                self.checked_at = time.monotonic()
        return self.healthy

    def mark_down(self) -> None:
        self.healthy, self.lag, self.checked_at = False, None, time.monotonic()
        _close_replica()

    def forget(self) -> None:
        self.checked_at = float("-inf")

    @staticmethod
    def _check() -> tuple[bool, float | None]:
        try:
            with connections[REPLICA].cursor() as cursor:
                cursor.execute(LAG_SQL)
                in_recovery, lag = cursor.fetchone()
        except DatabaseError as exc:
            logger.warning("replica unreachable, reading from the primary: %s", exc)
            _close_replica()
            return False, None
        lag = float(lag)
        if not in_recovery:
            # A promoted replica is a second primary: never read from it behind the real one.
            logger.warning("replica is not in recovery, reading from the primary")
            return False, lag
        if lag > settings.REPLICA_MAX_LAG_SECONDS:
            logger.warning("replica %.1fs behind (max %ss), reading from the primary", lag,
                           settings.REPLICA_MAX_LAG_SECONDS)
            return False, lag
        return True, lag


health = _Health()


def _close_replica() -> None:
    try:
        connections[REPLICA].close()
    except DatabaseError:
        pass


def _user_pk(request):
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return user.pk
    return None


class ReplicaRouter:
    """Reads of the read-only endpoints' data to `replica` when allowed; everything else
    (all writes, migrations) to the primary."""

    def db_for_read(self, model, **hints):
        state = _state.get()
        if state is None or state.disabled:
            return PRIMARY
        if model._meta.app_label not in REPLICA_APPS or model._meta.label_lower in PRIMARY_ONLY_MODELS:
            return PRIMARY
        if connections[PRIMARY].in_atomic_block:
            return PRIMARY
        if state.pinned is None:
            user_pk = _user_pk(state.request)
            if user_pk is not None:  # looked up once the user is known (DRF authenticates in the view)
                state.pinned = bool(cache.get(pin_key(user_pk)))
        if state.pinned or not health.is_healthy():
            return PRIMARY
        state.used_replica = True
        return REPLICA

    def db_for_write(self, model, **hints):
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the same rows as the primary.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY


class ReplicaMiddleware:
    """Opens the replica window for safe requests, pins writers, retries on the primary a
    safe request the replica failed."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in SAFE_METHODS:
            response = self.get_response(request)
            user_pk = _user_pk(request)  # DRF sets the authenticated user on the request
            if user_pk is not None:
                pin(user_pk)
            return response
        state = _RequestState(request=request)
        token = _state.set(state)
        try:
            response = self.get_response(request)
            if getattr(response, "status_code", None) == 503 and state.used_replica and not state.disabled:
                # The API's exception handler turned the replica's failure into a 503 (a
                # transient database error): the primary may well answer.
                response = self._retry_on_primary(request, state, "503 service_unavailable")
            return response
        finally:
            _state.reset(token)

    def process_exception(self, request, exception):
        state = _state.get()
        if state is None or state.disabled or not state.used_replica or not isinstance(exception, DatabaseError):
            return None
        return self._retry_on_primary(request, state, exception)

    def _retry_on_primary(self, request, state, failure):
        logger.warning("replica failed during %s %s, retrying on the primary: %s", request.method,
                       request.path, failure)
        health.mark_down()
        state.disabled = True
        return self.get_response(request)
