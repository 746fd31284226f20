"""Issue 15: many app nodes, tested through the repository's cluster script (bench/cluster.py):
nginx -> two gunicorn nodes -> PgBouncer (transaction pooling) -> primary + streaming standby,
one Redis. Node-to-node checks talk to each gunicorn directly; the load goes through nginx.
"""

import random
import shutil
import threading
import time
import uuid
from decimal import Decimal

import pytest

from .harness import Cluster, log_in, missing_programs, request

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

CUSTOMERS = 8
OPENING = Decimal("10000.00")
HOST = "127.0.0.1"


@pytest.fixture(scope="module")
def cluster():
    missing = missing_programs()
    if missing:
        pytest.skip(f"the cluster needs {', '.join(missing)}")
    cluster = Cluster(nodes=2, workers=2, customers=CUSTOMERS, opening=OPENING).start()
    try:
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(cluster.root, ignore_errors=True)


def customer_total(cluster) -> Decimal:
    return cluster.db.primary.query("SELECT sum(balance) FROM transactions_account WHERE kind = 'customer'")[0][0]


def transfer_count(cluster) -> int:
    return cluster.db.primary.query("SELECT count(*) FROM transactions_transaction WHERE kind = 'transfer'")[0][0]


def assert_books_clean(cluster):
    assert customer_total(cluster) == CUSTOMERS * OPENING
    audit = cluster.audit_ledger()
    assert audit.returncode == 0, audit.stdout + audit.stderr


def test_a_token_revoked_on_one_node_is_refused_on_the_other(cluster):
    a, b = cluster.nodes
    token = log_in(a.port, "scale0")
    assert request(HOST, b.port, "GET", "/api/accounts/", token=token)[0] == 200
    status, data = request(HOST, a.port, "POST", "/api/logout/", {}, token=token)
    assert status == 200, (status, data)
    assert request(HOST, b.port, "GET", "/api/accounts/", token=token)[0] == 401
    assert request(HOST, a.port, "GET", "/api/accounts/", token=token)[0] == 401


def test_failed_logins_count_across_nodes(cluster):
    a, b = cluster.nodes
    body = {"username": "scale1", "password": "wrong-password"}
    for attempt in range(5):  # LOGIN_FAILURES_PER_USERNAME, alternating nodes
        node = (a, b)[attempt % 2]
        assert request(HOST, node.port, "POST", "/api/login/", body)[0] == 401
    for node in (a, b):
        status, _ = request(HOST, node.port, "POST", "/api/login/",
                            {"username": "scale1", "password": "Scale-Out-Bank-2026!"})
        assert status == 429


def test_one_idempotency_key_sent_to_both_nodes_at_once_moves_money_once(cluster):
    a, b = cluster.nodes
    token = log_in(a.port, "scale2")
    to_account = cluster.db.account_numbers[3]
    before = transfer_count(cluster)
    key = str(uuid.uuid4())
    barrier = threading.Barrier(2)
    answers = []

    def send(node):
        barrier.wait()
        answers.append(request(HOST, node.port, "POST", "/api/balance-transfer/",
                               {"recipient_account_no": to_account, "amount": "7.77"}, token=token,
                               headers={"Idempotency-Key": key}))

    threads = [threading.Thread(target=send, args=(node,)) for node in (a, b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    statuses = sorted(status for status, _ in answers)
    assert statuses in ([201, 201], [201, 409]), answers
    assert transfer_count(cluster) == before + 1
    sender = cluster.db.primary.query(
        "SELECT balance FROM transactions_account WHERE account_no = %s", (cluster.db.account_numbers[2],))[0][0]
    assert sender == OPENING - Decimal("7.77")
    assert_books_clean(cluster)


class Load:
    """Customers sending keyed transfers through nginx; each one retried with its key until
    it gets a definite answer (a 5xx or a dropped connection is not one)."""

    def __init__(self, cluster, port, customers):
        self.cluster = cluster
        self.port = port
        self.tokens = {n: log_in(port, f"scale{n}") for n in customers}
        self.customers = list(customers)
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.done = []  # (finished_at, key, status)
        self.retries = 0

    def worker(self, seed):
        rng = random.Random(seed)
        while not self.stop.is_set():
            sender, recipient = rng.sample(self.customers, 2)
            body = {"recipient_account_no": self.cluster.db.account_numbers[recipient],
                    "amount": f"{rng.randint(1, 2000) / 100:.2f}"}
            key = str(uuid.uuid4())
            for _ in range(20):
                try:
                    status, _ = request(HOST, self.port, "POST", "/api/balance-transfer/", body,
                                        token=self.tokens[sender], headers={"Idempotency-Key": key})
                except OSError:
                    status = None
                if status is not None and status < 500 and status != 409:
                    break
                with self.lock:
                    self.retries += 1
                time.sleep(0.2)
            with self.lock:
                self.done.append((time.monotonic(), key, status))

    def run(self, threads, seconds, during=None):
        workers = [threading.Thread(target=self.worker, args=(n,)) for n in range(threads)]
        for worker in workers:
            worker.start()
        if during:
            time.sleep(seconds / 2)
            during()
            time.sleep(seconds / 2)
        else:
            time.sleep(seconds)
        self.stop.set()
        for worker in workers:
            worker.join(60)


def test_random_transfers_through_nginx_conserve_money(cluster):
    before = transfer_count(cluster)
    load = Load(cluster, cluster.nginx.port, customers=range(4, CUSTOMERS))
    started = time.monotonic()
    load.run(threads=6, seconds=8)
    elapsed = time.monotonic() - started
    statuses = [status for _, _, status in load.done]
    assert statuses and set(statuses) == {201}, statuses
    assert transfer_count(cluster) == before + len(statuses)
    assert_books_clean(cluster)
    print(f"\n{len(statuses)} transfers through nginx in {elapsed:.1f}s ({len(statuses) / elapsed:.0f}/s), "
          f"{load.retries} retries")


def test_one_node_killed_mid_load_the_other_carries_on(cluster):
    before = transfer_count(cluster)
    load = Load(cluster, cluster.nginx.port, customers=range(4, CUSTOMERS))
    killed = {}

    def kill_node():
        killed["at"] = time.monotonic()
        cluster.nodes[1].kill()

    load.run(threads=6, seconds=10, during=kill_node)
    statuses = [status for _, _, status in load.done]
    after_kill = [status for at, _, status in load.done if at > killed["at"] + 1]
    assert statuses and set(statuses) == {201}, statuses
    assert len(after_kill) > 10, "the surviving node did not carry the load"
    # Every keyed transfer moved money once, however often it was retried.
    assert transfer_count(cluster) == before + len(statuses)
    assert_books_clean(cluster)
    print(f"\n{len(statuses)} transfers, {len(after_kill)} completed after the kill, {load.retries} retries")
