"""The fault suite's machinery: a PostgreSQL cluster, a Redis and the production server of
our own (never the shared ones), a load of keyed transfers with retries, and the figures.

- `ClusterTemplate` runs initdb, migrate and the seed once per session; each test copies
  it into a fresh cluster on a port of its own (`Cluster`).
- `Stack` starts cluster, Redis and `deploy/serve` (nginx in front of gunicorn with the
  project's gunicorn.conf.py), exactly as the Docker image runs it.
- `Load` drives customers: each keyed transfer is retried with its Idempotency-Key until
  it gets a definite answer; every attempt is recorded (time, latency, status, JSON or not).
- `check_ledger` runs `audit_ledger` and proves every keyed transfer was applied once.

Starting PostgreSQL and Redis, and the app's environment, come from bench/local_servers.py,
shared with the cluster script (bench/cluster.py).
"""

from __future__ import annotations

import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from bench.local_servers import (
    REPO,
    PgServer,
    Redis,
    create_bank,
    free_port,
    give_to_postgres,
    missing_programs,
    pg_bin_dir,
    run,
    scratch_dir,
    server_env,
    wait_for,
)

PASSWORD = "Fault-Bank-2026!"
CUSTOMERS = 12
OPENING_BALANCE = Decimal("100000.00")


def missing_prerequisites() -> list[str]:
    return missing_programs(("redis-server", "nginx"))


class ClusterTemplate:
    """initdb + migrate + seed (customers fault0..), once; stopped, ready to copy (`data`)."""

    def __init__(self, root: Path):
        self.root = root
        self.bin = pg_bin_dir()
        self.data = root / "template" / "data"

    def build(self):
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)
        give_to_postgres(self.root)
        server = PgServer(self.bin, self.data.parent)
        server.initdb()
        server.start()
        try:
            create_bank(server, customers=CUSTOMERS, password=PASSWORD, opening=OPENING_BALANCE, name="fault")
        finally:
            server.stop()


class Cluster(PgServer):
    """A copy of the template: a PostgreSQL cluster of this test's own, on its own port."""

    def __init__(self, template: ClusterTemplate, path: Path, max_connections: int = 40):
        super().__init__(template.bin, path, max_connections=max_connections)
        run(["cp", "-a", str(template.data), str(self.data)])


class Server:
    """`deploy/serve`: the Docker image's CMD."""

    def __init__(self, path: Path, env: dict):
        self.port = free_port()
        self.path = path
        self.env = server_env({"PORT": str(self.port), "SERVE_RUN_DIR": str(path / "serve"), **env})
        self.process = None
        self.log = None

    def start(self):
        self.log = open(self.path / "server.log", "wb")
        self.process = subprocess.Popen([str(REPO / "deploy" / "serve")], cwd=REPO, env=self.env,
                                        stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_for(lambda: get(self.port, "/readyz")[0] == 200, 60, "server ready")
        except TimeoutError:
            self.log.flush()
            raise TimeoutError((self.path / "server.log").read_text()[-3000:]) from None

    def gunicorn_worker_pids(self) -> list[int]:
        """The worker processes: children of gunicorn's master, itself a child of deploy/serve."""
        def children(pid):
            out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
            return [int(child) for child in out.stdout.split()]

        masters = [pid for pid in children(self.process.pid)
                   if "gunicorn" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")]
        return [worker for master in masters for worker in children(master)]

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        if self.log:
            self.log.close()


def get(port: int, path: str, timeout: float = 5.0):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    except OSError:
        return None, b""
    finally:
        conn.close()


class Stack:
    """Cluster + Redis + server for one test; everything stopped afterwards."""

    def __init__(self, template: ClusterTemplate, *, server_env: dict | None = None, max_connections: int = 40,
                 with_redis: bool = True):
        self.path = scratch_dir("bank-fault-", template.root)  # nginx's workers (another user as root) enter it
        give_to_postgres(self.path)
        self.cluster = Cluster(template, self.path / "pg", max_connections=max_connections)
        self.redis = Redis(self.path) if with_redis else None
        env = {"DATABASE_URL": self.cluster.url(), "WEB_CONCURRENCY": "4", **(server_env or {})}
        if self.redis:
            env["REDIS_URL"] = self.redis.url
        self.server = Server(self.path, env)

    def __enter__(self):
        try:
            self.cluster.start()
            if self.redis:
                self.redis.start()
            self.server.start()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        self.server.stop()
        if self.redis:
            self.redis.stop()
        self.cluster.stop(mode="immediate")
        shutil.rmtree(self.path, ignore_errors=True)


# --- load -------------------------------------------------------------------------------

@dataclass
class Attempt:
    kind: str
    started: float
    latency: float
    status: int | None
    json: bool
    retry_after: str | None = None


@dataclass
class KeyedTransfer:
    key: str
    source: str
    recipient: str
    amount: Decimal
    final_status: int | None = None
    attempts: int = 0


class HttpClient:
    """One keep-alive connection per load thread; reconnects after any failure."""

    def __init__(self, port: int, timeout: float):
        self.port = port
        self.timeout = timeout
        self.conn = None

    def request(self, method, path, body=None, headers=None):
        headers = {"Content-Type": "application/json", **(headers or {})}
        payload = json.dumps(body).encode() if body is not None else None
        for _ in range(2):  # a keep-alive connection closed by the server: one immediate retry
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=payload, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.close()
                return response.status, response.getheader("Content-Type", ""), data, response.getheader("Retry-After")
            # A worker killed mid-answer: a reset, or a cut or garbled response (IncompleteRead, ...).
            except (http.client.HTTPException, BrokenPipeError, ConnectionResetError) as exc:
                self.close()
                error = exc
            except OSError as exc:  # refused, timed out
                self.close()
                return None, "", repr(exc).encode(), None
        return None, "", repr(error).encode(), None

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class Load:
    """`clients` threads, each a customer: keyed transfers (retried until answered), a login
    every `login_every` operations, an anonymous read every `read_every`; `pause` between."""

    def __init__(self, port: int, accounts: dict[str, str], *, clients: int = 6, pause: float = 0.2,
                 login_every: int = 5, read_every: int = 3, timeout: float = 15.0,
                 recipients_for=None, customers=None):
        self.port = port
        self.accounts = accounts  # username -> account_no
        self.clients = clients
        self.pause = pause
        self.login_every = login_every
        self.read_every = read_every
        self.timeout = timeout
        self.recipients_for = recipients_for or (lambda username: [a for u, a in accounts.items() if u != username])
        self.customers = customers or sorted(accounts)
        self.attempts: list[Attempt] = []
        self.transfers: list[KeyedTransfer] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    # -- driving
    def start(self):
        for n in range(self.clients):
            username = self.customers[n % len(self.customers)]
            thread = threading.Thread(target=self._run, args=(username, n), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self, drain_timeout: float = 60):
        """Stop starting new work; let every started keyed transfer reach its answer."""
        self._stop.set()
        for thread in self._threads:
            thread.join(drain_timeout)
        assert not any(t.is_alive() for t in self._threads), "a keyed transfer never got an answer"

    def _record(self, attempt: Attempt):
        with self._lock:
            self.attempts.append(attempt)

    def _call(self, client, kind, method, path, body=None, headers=None):
        started = time.monotonic()
        status, content_type, data, retry_after = client.request(method, path, body, headers)
        self._record(Attempt(kind, started, time.monotonic() - started, status,
                             content_type.startswith("application/json"), retry_after))
        return status, data, retry_after

    def _login(self, client, username) -> str | None:
        status, data, _ = self._call(client, "login", "POST", "/api/login/",
                                     {"username": username, "password": PASSWORD})
        return json.loads(data)["access"] if status == 200 else None

    def _run(self, username, n):
        rng = random.Random(n)
        client = HttpClient(self.port, self.timeout)
        token = None
        while token is None and not self._stop.is_set():
            token = self._login(client, username)
            if token is None:
                time.sleep(0.2)
        step = 0
        while not self._stop.is_set():
            step += 1
            if step % self.login_every == 0:
                token = self._login(client, username) or token
            if step % self.read_every == 0:
                self._call(client, "read", "GET", "/api/services/")
            recipient = rng.choice(self.recipients_for(username))
            self.keyed_transfer(client, token, username, recipient, Decimal(rng.randint(1, 500)) / 100)
            time.sleep(self.pause)
        client.close()

    def keyed_transfer(self, client, token, username, recipient, amount):
        transfer = KeyedTransfer(uuid.uuid4().hex, self.accounts[username], recipient, amount)
        with self._lock:
            self.transfers.append(transfer)
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": transfer.key}
        body = {"amount": str(amount), "recipient_account_no": recipient}
        while True:
            transfer.attempts += 1
            status, _, retry_after = self._call(client, "transfer", "POST", "/api/balance-transfer/", body, headers)
            if status is not None and status < 500 and status != 429:
                transfer.final_status = status
                return transfer
            time.sleep(min(float(retry_after or 0.2), 1.0))

    # -- figures
    def window(self, start: float, end: float, kinds=("transfer", "login", "read")) -> list[Attempt]:
        return [a for a in self.attempts if a.kind in kinds and start <= a.started < end]


def figures(attempts: list[Attempt]) -> dict:
    latencies = sorted(a.latency for a in attempts)
    ok = [a for a in attempts if a.status is not None and a.status < 400]

    def pct(p):
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))], 3) if latencies else None

    return {
        "requests": len(attempts),
        "success_ratio": round(len(ok) / len(attempts), 4) if attempts else None,
        "p50_s": pct(0.50),
        "p99_s": pct(0.99),
        "max_s": round(latencies[-1], 3) if latencies else None,
        "status_500": sum(1 for a in attempts if a.status == 500),
        "status_5xx": sum(1 for a in attempts if a.status is not None and a.status >= 500),
        "no_answer": sum(1 for a in attempts if a.status is None),
        "not_json": sum(1 for a in attempts if a.status is not None and not a.json),
        "statuses": dict(sorted(_count(str(a.status) for a in attempts).items())),
    }


def _count(values):
    counts = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


def login_accounts(stack: Stack) -> dict[str, str]:
    rows = stack.cluster.query(
        "SELECT u.username, a.account_no FROM accounts_user u JOIN accounts_customer c ON c.user_id = u.id "
        "JOIN transactions_account a ON a.customer_id = c.id ORDER BY u.username"
    )
    return dict(rows)


def check_ledger(stack: Stack, load: Load) -> dict:
    """audit_ledger exits 0, and every keyed transfer answered 201 was applied exactly once."""
    # As the superuser: the app's role may have every connection it is allowed (its workers').
    env = server_env({"DATABASE_URL": stack.cluster.url(user="postgres"), "DB_POOL_MAX_SIZE": "0"})
    audit = subprocess.run([sys.executable, "manage.py", "audit_ledger"], cwd=REPO, env=env,
                           capture_output=True, text=True)
    assert audit.returncode == 0, audit.stdout + audit.stderr

    applied = [t for t in load.transfers if t.final_status == 201]
    assert all(t.final_status in (201, 400) for t in load.transfers), _count(t.final_status for t in load.transfers)
    in_ledger = stack.cluster.query("SELECT count(*) FROM transactions_transaction WHERE kind = 'transfer'")[0][0]
    assert in_ledger == len(applied), (in_ledger, len(applied))
    keys = stack.cluster.query("SELECT count(*), count(DISTINCT key) FROM transactions_idempotencykey")[0]
    assert keys == (len(applied), len(applied))

    expected = {account: OPENING_BALANCE for account in load.accounts.values()}
    for t in applied:
        expected[t.source] -= t.amount
        expected[t.recipient] += t.amount
    balances = dict(stack.cluster.query(
        "SELECT account_no, balance FROM transactions_account WHERE kind = 'customer'"))
    assert balances == expected
    return {"keyed_transfers": len(load.transfers), "applied": len(applied),
            "retried": sum(1 for t in load.transfers if t.attempts > 1), "audit": "Ledger OK"}


@dataclass
class Report:
    """Figures of each fault, printed and (with FAULTS_REPORT=path) appended as JSON lines."""

    name: str
    data: dict = field(default_factory=dict)

    def save(self):
        line = json.dumps({"fault": self.name, **self.data}, default=str)
        print(line)
        path = os.environ.get("FAULTS_REPORT")
        if path:
            with open(path, "a") as handle:
                handle.write(line + "\n")
