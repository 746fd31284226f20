"""Redis errors are cache misses, behind a circuit breaker: the API works without Redis."""

import os
import signal
import time

import pytest
from django.core.cache import cache

from bank_project.cache import CircuitBreaker, CircuitOpen
from tests.conftest import client_for
from tests.factories import PASSWORD, CustomerFactory, fund


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_breaker_opens_after_fail_max_skips_calls_then_lets_one_trial_through():
    clock = FakeClock()
    breaker = CircuitBreaker("t", fail_max=2, reset_timeout=5, clock=clock)
    breaker.before_call()
    breaker.record_failure(OSError("down"))
    assert breaker.state == "closed"  # one failure of two
    breaker.before_call()
    breaker.record_failure(OSError("down"))
    assert breaker.state == "open"
    with pytest.raises(CircuitOpen):
        breaker.before_call()
    clock.now += 5
    assert breaker.state == "half-open"
    breaker.before_call()  # the trial
    with pytest.raises(CircuitOpen):  # only one trial at a time
        breaker.before_call()
    breaker.record_failure(OSError("still down"))
    with pytest.raises(CircuitOpen):  # open again for another reset_timeout
        breaker.before_call()
    clock.now += 5
    breaker.before_call()
    breaker.record_success()
    assert breaker.state == "closed"
    assert breaker.counts == {"errors": 3, "skipped": 3}


def test_a_refused_redis_is_a_miss_and_writes_are_noops(dead_redis_cache):
    started = time.perf_counter()
    assert cache.get("k", "default") == "default"
    assert cache.set("k", 1) is None
    assert cache.get_many(["a", "b"]) == {}
    assert not cache.add("k", 1)
    assert time.perf_counter() - started < 1
    assert cache.breaker.snapshot()["state"] == "open"
    assert cache.breaker.counts["skipped"] >= 3  # later calls did not even try


def test_a_working_redis_is_used(redis_cache):
    cache.set("k", 41)
    assert cache.incr("k") == 42
    assert cache.get("k") == 42
    assert cache.breaker.state == "closed"


def test_a_frozen_redis_costs_one_socket_timeout_then_nothing_until_it_thaws(redis_cache):
    cache.set("k", "v")
    os.kill(redis_cache.pid, signal.SIGSTOP)
    try:
        started = time.perf_counter()
        assert cache.get("k") is None
        first = time.perf_counter() - started
        started = time.perf_counter()
        for _ in range(20):
            assert cache.get("k") is None
        rest = time.perf_counter() - started
    finally:
        os.kill(redis_cache.pid, signal.SIGCONT)
    assert 0.2 <= first < 0.6  # SOCKET_TIMEOUT is 0.25 s
    assert rest < 0.05  # the breaker is open: no call waits
    cache.breaker._opened_at -= 5  # reset_timeout has passed
    assert cache.get("k") == "v"
    assert cache.breaker.state == "closed"


@pytest.mark.django_db
def test_login_reads_and_money_keep_working_while_redis_is_down(dead_redis_cache, settings, api_client):
    settings.API_THROTTLE = True  # throttles on: they must fail open
    customer = CustomerFactory()
    fund(customer, "100.00")
    recipient = CustomerFactory()

    login = api_client.post("/api/login/", {"username": customer.user.username, "password": PASSWORD}, format="json")
    assert login.status_code == 200, login.content
    assert api_client.get("/api/services/").status_code == 200

    client = client_for(customer.user)
    transfer = client.post(
        "/api/balance-transfer/",
        {"amount": "25.00", "recipient_account_no": recipient.account.account_no},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    assert transfer.status_code == 201, transfer.content
    assert client.get("/api/balance-transfer/").status_code == 200
    customer.account.refresh_from_db()
    assert customer.account.balance == 75


@pytest.mark.django_db
def test_throttles_count_in_redis_when_it_is_up(redis_cache, settings, api_client):
    settings.API_THROTTLE = True
    settings.LOGIN_FAILURES_PER_USERNAME = 2
    body = {"username": "nobody", "password": "wrong"}
    assert api_client.post("/api/login/", body, format="json").status_code == 401
    assert api_client.post("/api/login/", body, format="json").status_code == 401
    assert api_client.post("/api/login/", body, format="json").status_code == 429
