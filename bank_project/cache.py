"""A cache that speeds things up and never takes the bank down with it.

`ResilientRedisCache` is django-redis's `RedisCache` with two additions:

- every Redis error or timeout is a cache miss (reads return the default, `get_many` an
  empty dict, writes do nothing): django-redis's own IGNORE_EXCEPTIONS behaviour, which
  the settings switch on. Callers must therefore treat the cache as an accelerator whose
  answers may be missing: throttles fail open, and anything whose truth matters lives in
  the database.
- a circuit breaker per process: after `fail_max` consecutive errors it stops calling
  Redis for `reset_timeout` seconds (each call is then an instant miss), then lets one
  call through to find out whether Redis is back. A frozen Redis thus costs one socket
  timeout per worker per `reset_timeout`, not one per cache call.

Errors and skipped calls are logged (once per state change, not once per call) and
counted on the cache's `breaker` (shown by /readyz).

Why not pybreaker: it holds its lock for the whole guarded call, so in a threaded worker
every cache call would queue behind one stuck on a frozen Redis; this breaker keeps no
lock across the call.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter

from django_redis.cache import RedisCache
from django_redis.exceptions import ConnectionInterrupted

logger = logging.getLogger("bank.cache")


class CircuitOpen(Exception):
    """Redis is known to be down: the call was not attempted."""


class CircuitBreaker:
    """closed -> (fail_max consecutive failures) -> open -> (reset_timeout) -> half-open:
    one trial call; success closes, failure opens again for another reset_timeout."""

    def __init__(self, name: str, fail_max: int = 1, reset_timeout: float = 5.0, clock=time.monotonic):
        self.name = name
        self.fail_max = fail_max
        self.reset_timeout = reset_timeout
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_running = False
        self.counts: Counter[str] = Counter()

    @property
    def state(self) -> str:
        with self._lock:
            if self._opened_at is None:
                return "closed"
            if self._clock() - self._opened_at >= self.reset_timeout:
                return "half-open"
            return "open"

    def before_call(self) -> None:
        """Raise CircuitOpen unless this call may go to Redis."""
        with self._lock:
            if self._opened_at is None:
                return
            if self._clock() - self._opened_at < self.reset_timeout or self._trial_running:
                self.counts["skipped"] += 1
                raise CircuitOpen(self.name)
            self._trial_running = True  # half-open: this call is the trial

    def record_success(self) -> None:
        with self._lock:
            was_open = self._opened_at is not None
            self._failures = 0
            self._opened_at = None
            self._trial_running = False
        if was_open:
            logger.warning("cache %s is back: circuit closed", self.name, extra={"counts": dict(self.counts)})

    def record_failure(self, exc: BaseException) -> None:
        with self._lock:
            self.counts["errors"] += 1
            self._failures += 1
            trial_failed = self._trial_running
            self._trial_running = False
            opening = self._opened_at is None and self._failures >= self.fail_max
            if opening or trial_failed:
                self._opened_at = self._clock()
        if opening:
            logger.warning(
                "cache %s unavailable (%s: %s): circuit open for %ss, cache reads are misses and "
                "writes are skipped; throttles fail open",
                self.name, type(exc).__name__, exc, self.reset_timeout, extra={"counts": dict(self.counts)},
            )

    def snapshot(self) -> dict:
        return {"state": self.state, **self.counts}


class _GuardedClient:
    """Stands in for django-redis's client: every method call goes through the breaker.
    Failures surface as ConnectionInterrupted, which RedisCache (IGNORE_EXCEPTIONS) turns
    into a miss or a no-op."""

    def __init__(self, client, breaker: CircuitBreaker):
        self._client = client
        self._breaker = breaker

    # Methods that do not talk to Redis (close is a no-op unless DJANGO_REDIS_CLOSE_CONNECTION).
    UNGUARDED = frozenset({"close", "lock", "get_client", "make_key", "make_pattern", "encode", "decode"})

    def __getattr__(self, name):
        attr = getattr(self._client, name)
        if not callable(attr) or name in self.UNGUARDED:
            return attr
        breaker = self._breaker

        def guarded(*args, **kwargs):
            try:
                breaker.before_call()
            except CircuitOpen as exc:
                raise ConnectionInterrupted(connection=None) from exc
            try:
                result = attr(*args, **kwargs)
            except ConnectionInterrupted as exc:
                breaker.record_failure(exc.__cause__ or exc)
                raise
            except BaseException:
                breaker.record_success()  # Redis answered; the error is the caller's
                raise
            breaker.record_success()
            return result

        return guarded


class ResilientRedisCache(RedisCache):
    """django-redis whose errors are misses, behind a circuit breaker (see module doc).

    OPTIONS["CIRCUIT_BREAKER"] = {"name": "redis", "fail_max": 1, "reset_timeout": 5}; set IGNORE_EXCEPTIONS
    (the settings do) so that errors become misses instead of exceptions.
    """

    def __init__(self, server, params):
        super().__init__(server, params)
        breaker_options = dict(params.get("OPTIONS", {}).get("CIRCUIT_BREAKER", {}))
        # Named, never by its URL: that may carry a password, and the name is logged.
        name = breaker_options.pop("name", "redis")
        self.breaker = CircuitBreaker(name=name, **breaker_options)
        self._guarded = None

    @property
    def client(self):
        raw = super().client
        if self._guarded is None or self._guarded._client is not raw:
            self._guarded = _GuardedClient(raw, self.breaker)
        return self._guarded

    def ping(self) -> bool:
        """Ask Redis directly (not through the breaker): True when it answers in time."""
        try:
            return bool(super().client.get_client(write=True).ping())
        except Exception:  # any failure to answer means "down" to a health check
            return False
