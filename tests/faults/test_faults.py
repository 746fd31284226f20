"""One fault per test, against the production server (nginx + gunicorn via deploy/serve) with
a PostgreSQL cluster and a Redis of the test's own, under a load of keyed transfers.

Each test asserts the availability figure the resilience issue asks for, that no answer
was HTML, that `audit_ledger` passes and that every keyed transfer was applied exactly once.
Figures are printed as JSON lines (and appended to $FAULTS_REPORT): docs/resilience.md.
"""

import json
import os
import random
import signal
import socket
import threading
import time

import psycopg
import pytest

from .harness import Load, Report, Stack, check_ledger, figures, get, login_accounts

pytestmark = pytest.mark.faults

LOCK_SECONDS = float(os.environ.get("FAULTS_LOCK_SECONDS", "45"))


def no_html(load):
    assert figures(load.attempts)["not_json"] == 0


def poll_readyz(port, until):
    seen = []
    while time.monotonic() < until:
        status, body = get(port, "/readyz", timeout=10)
        seen.append((status, json.loads(body) if status else None))
        time.sleep(0.5)
    return seen


def under_fault(stack, inject, restore, seconds, watch=None):
    """Load for 3 s, inject the fault, keep it `seconds` (running `watch(until)` meanwhile),
    restore, 3 s more; returns the load (stopped, every keyed transfer answered), the
    fault's start and end, and what `watch` returned."""
    load = Load(stack.server.port, login_accounts(stack)).start()
    time.sleep(3)
    start = time.monotonic()
    inject()
    watched = watch(start + seconds) if watch else time.sleep(seconds)
    end = time.monotonic()
    restore()
    time.sleep(3)
    load.stop()
    return load, start, end, watched


def test_redis_stopped_for_15s_logins_and_transfers_keep_working(cluster_template):
    with Stack(cluster_template) as stack:
        load, down, up, readyz = under_fault(stack, stack.redis.stop, stack.redis.start, 15,
                                             watch=lambda until: poll_readyz(stack.server.port, until))
        during = figures(load.window(down, up, kinds=("transfer", "login")))
        overall = figures(load.attempts)
        ledger = check_ledger(stack, load)
    Report("redis stopped 15 s", {"during": during, "overall": overall, "ledger": ledger,
                                  "readyz": sorted({(s, b and b["status"]) for s, b in readyz})}).save()
    assert during["success_ratio"] >= 0.99
    assert overall["status_500"] == 0
    no_html(load)
    assert readyz and all(s == 200 and b["status"] == "degraded" and b["checks"]["redis"] == "down"
                          for s, b in readyz)


def test_redis_frozen_for_15s_costs_little(cluster_template):
    with Stack(cluster_template) as stack:
        load, frozen, thawed, _ = under_fault(stack, stack.redis.freeze, stack.redis.thaw, 15)
        during = figures(load.window(frozen, thawed))
        overall = figures(load.attempts)
        ledger = check_ledger(stack, load)
    Report("redis frozen 15 s", {"during": during, "overall": overall, "ledger": ledger}).save()
    assert during["p99_s"] <= 1.0
    assert overall["status_5xx"] == 0
    no_html(load)


def test_a_row_locked_45s_stalls_only_the_requests_that_need_it(cluster_template):
    with Stack(cluster_template) as stack:
        accounts = login_accounts(stack)
        hot_owner, hot_sender = "fault0", "fault1"
        hot = accounts[hot_owner]
        others = {u: a for u, a in accounts.items() if u not in (hot_owner, hot_sender)}
        bystanders = Load(stack.server.port, accounts, clients=4, customers=sorted(others),
                          recipients_for=lambda u: [a for v, a in others.items() if v != u]).start()
        needing_it = Load(stack.server.port, accounts, clients=1, customers=[hot_sender],
                          recipients_for=lambda u: [hot], login_every=10**9, read_every=10**9).start()
        time.sleep(3)
        locker = psycopg.connect(host="127.0.0.1", port=stack.cluster.port, user="postgres", dbname="bank")
        locker.execute("SELECT 1 FROM transactions_account WHERE account_no = %s FOR UPDATE", [hot])
        locked = time.monotonic()
        time.sleep(LOCK_SECONDS)
        locker.rollback()
        released = time.monotonic()
        locker.close()
        time.sleep(3)
        bystanders.stop()
        needing_it.stop()
        others_during = figures(bystanders.window(locked, released))
        blocked = needing_it.window(locked + 0.1, released - 2.5, kinds=("transfer",))
        blocked_figures = figures(blocked)
        ledger_a = check_ledger_two(stack, bystanders, needing_it)
    Report("account row locked", {"seconds": LOCK_SECONDS, "others": others_during,
                                  "needing_the_row": blocked_figures, "ledger": ledger_a}).save()
    assert others_during["p99_s"] <= 1.0
    assert others_during["status_5xx"] == 0
    assert blocked and all(a.status == 503 and a.retry_after for a in blocked)
    # lock_timeout (2 s), plus the rest of the request (login check, rollback) on a busy box.
    assert blocked_figures["max_s"] <= 2.0 + 1.0
    no_html(bystanders)
    no_html(needing_it)


def check_ledger_two(stack, first, second):
    """check_ledger over two loads: one combined view of their keyed transfers."""
    combined = Load(stack.server.port, first.accounts)
    combined.transfers = first.transfers + second.transfers
    return check_ledger(stack, combined)


class SlowSockets:
    """`count` connections that each send one header byte per second; reopened when closed."""

    REQUEST = b"GET /api/services/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 200 + b"\r\n\r\n"

    def __init__(self, port, count):
        self.port, self.count = port, count
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.reopened = 0

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(10)

    def _open(self):
        sock = socket.socket()
        sock.settimeout(2)
        try:
            sock.connect(("127.0.0.1", self.port))
        except OSError:
            pass
        return [sock, 0]

    def _run(self):
        sockets = [self._open() for _ in range(self.count)]
        while not self._stop.is_set():
            for entry in sockets:
                sock, sent = entry
                try:
                    sock.send(self.REQUEST[sent % len(self.REQUEST):][:1])
                    entry[1] = sent + 1
                except OSError:
                    sock.close()
                    entry[:] = self._open()
                    self.reopened += 1
            self._stop.wait(1)
        for sock, _ in sockets:
            sock.close()


@pytest.mark.parametrize("front", ["nginx", "gunicorn alone"])
def test_200_slow_sockets_for_20s(cluster_template, front):
    """With nginx in front (the image's CMD) normal requests keep their pace; gunicorn's
    sync workers alone stall (the second case shows the test can fail)."""
    env = {"SERVE_WITHOUT_NGINX": "1"} if front == "gunicorn alone" else {}
    with Stack(cluster_template, server_env=env) as stack:
        load = Load(stack.server.port, login_accounts(stack), clients=4, timeout=30).start()
        time.sleep(3)
        slow = SlowSockets(stack.server.port, 200).start()
        started = time.monotonic()
        time.sleep(20)
        ended = time.monotonic()
        slow.stop()
        load.stop(drain_timeout=90)
        during = figures(load.window(started + 1, ended))
        ledger = check_ledger(stack, load)
    Report(f"200 slow sockets 20 s ({front})", {"during": during, "ledger": ledger}).save()
    no_html(load)
    if front == "nginx":
        assert during["p99_s"] <= 1.0
        assert during["status_5xx"] == 0
    else:  # stalled: hardly a request started in those 20 s, or they waited
        assert during["requests"] < 20 or during["p99_s"] > 1.0


@pytest.mark.parametrize(
    "shape",
    [
        {"WEB_CONCURRENCY": "4", "DB_POOL_MAX_SIZE": "1"},  # production: sync workers
        {"WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "6", "DB_POOL_MAX_SIZE": "2"},  # 12 threads, 4 connections
    ],
    ids=["sync 4x1", "gthread 2x6 pool 2"],
)
def test_three_times_more_concurrent_requests_than_connections_only_adds_latency(cluster_template, shape):
    # 4 connections for the app: max_connections 7 less PostgreSQL's 3 superuser-reserved ones.
    with Stack(cluster_template, server_env=shape, max_connections=7) as stack:
        load = Load(stack.server.port, login_accounts(stack), clients=12, pause=0).start()
        peak = 0
        deadline = time.monotonic() + 12
        while time.monotonic() < deadline:
            peak = max(peak, stack.cluster.query(
                "SELECT count(*) FROM pg_stat_activity WHERE usename = 'bank_app'")[0][0])
            time.sleep(0.5)
        load.stop()
        overall = figures(load.attempts)
        ledger = check_ledger(stack, load)
    Report(f"12 concurrent clients, 4 connections ({shape})", {"overall": overall, "peak_connections": peak,
                                                               "ledger": ledger}).save()
    assert overall["status_5xx"] == 0 and overall["no_answer"] == 0
    assert peak <= 4
    no_html(load)


def test_postgresql_restart_mid_load_recovers_within_5s(cluster_template):
    with Stack(cluster_template) as stack:
        load = Load(stack.server.port, login_accounts(stack)).start()
        time.sleep(3)
        stack.cluster.stop(mode="fast")
        readyz = poll_readyz(stack.server.port, time.monotonic() + 5)
        stack.cluster.start()
        back = time.monotonic()
        time.sleep(8)
        load.stop()
        after = [a for a in load.attempts if a.kind == "transfer" and a.started >= back and a.status == 201]
        recovered = min(a.started + a.latency for a in after) - back
        settled = back + recovered
        since = figures([a for a in load.attempts if a.started >= settled])
        overall = figures(load.attempts)
        ledger = check_ledger(stack, load)
    Report("PostgreSQL restart", {"recovered_s": round(recovered, 2), "after_recovery": since,
                                  "overall": overall, "ledger": ledger,
                                  "readyz_while_down": sorted({(s, b and b["status"]) for s, b in readyz})}).save()
    assert recovered <= 5
    assert since["status_5xx"] == 0 and since["no_answer"] == 0
    answered = [(s, b) for s, b in readyz if s is not None]
    assert answered and all(s == 503 and b["checks"]["database"] == "down" for s, b in answered)
    no_html(load)


def test_workers_sigkilled_every_half_second_for_10s(cluster_template):
    """Killed mid-request (often inside a transaction): nginx answers 503 JSON for the cut
    connection, the client retries with the same key, PostgreSQL rolls the dead worker's
    transaction back, gunicorn starts a new worker: nothing is applied twice or lost."""
    rng = random.Random(13)
    killed = []

    def kill_workers(until):
        while time.monotonic() < until:
            workers = stack.server.gunicorn_worker_pids()
            if workers:
                victim = rng.choice(workers)
                try:
                    os.kill(victim, signal.SIGKILL)
                    killed.append(victim)
                except ProcessLookupError:
                    pass
            time.sleep(0.5)

    with Stack(cluster_template) as stack:
        load, start, end, _ = under_fault(stack, lambda: None, lambda: None, 10, watch=kill_workers)
        during = figures(load.window(start, end))
        after = figures(load.window(end + 2, end + 3))
        ledger = check_ledger(stack, load)
    Report("workers SIGKILLed every 0.5 s for 10 s", {"killed": len(killed), "during": during,
                                                      "after": after, "ledger": ledger}).save()
    assert len(killed) >= 15
    assert during["status_500"] == 0
    assert after["status_5xx"] == 0
    no_html(load)
