"""Throw-away servers on this machine, on free ports: the start-up code shared by the
cluster script (bench/cluster.py, and through it tests/scaleout) and the fault suite
(tests/faults/harness.py).

- `PgServer`: one PostgreSQL server of our own (initdb, pg_ctl start/stop, queries);
  `create_bank` makes it a migrated bank with seeded customers.
- `Daemon`: a process in a session of its own, ready once its port answers; `Redis`.
- `server_env`: the environment of a production-like app process (DEBUG off, throttles on
  with rates no test reaches), with nothing inherited that points at the shared servers.

It lives under bench/ because the cluster script is a tool in its own right (run by hand,
outside pytest) and must not depend on the test suite; tests may depend on tools, as
tests/scaleout already does on bench/cluster.py. The repository's root is on sys.path under
pytest and with `python -m bench.cluster`, so `bench.local_servers` imports as is (bench/ is
a namespace package); `python bench/cluster.py` puts the root there first, as
bench/django_tasks.py does.

initdb, postgres and pgbouncer refuse to run as root (CI runs as root): they run as the
`postgres` OS user then (`as_postgres_user`), in directories given to it (`give_to_postgres`).
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parents[1]
APP_ROLE = "bank_app"
SECRET_KEY = "local-servers-only-" + "x" * 50


def pg_bin_dir() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return os.path.dirname(found[-1]) if found else None


def program(name: str) -> str:
    """Debian puts nginx and pgbouncer in /usr/sbin, which a non-root PATH may lack."""
    return shutil.which(name) or f"/usr/sbin/{name}"


def missing_programs(programs) -> list[str]:
    """What is missing of PostgreSQL's server binaries and `programs`."""
    missing = [] if pg_bin_dir() else ["postgresql (/usr/lib/postgresql/*/bin/initdb)"]
    for name in programs:
        if not (shutil.which(name) or os.path.exists(f"/usr/sbin/{name}")):
            missing.append(name)
    return missing


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def as_postgres_user() -> list[str]:
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def give_to_postgres(*paths: Path):
    if os.geteuid() == 0:
        for path in paths:
            shutil.chown(path, "postgres")


def scratch_dir(prefix: str, parent: Path | None = None) -> Path:
    """A directory the postgres OS user (and nginx's workers) can enter: pytest's tmp_path
    and mkdtemp's default mode are private to the user who made them."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    path.chmod(0o755)
    return path


def run(cmd, **kwargs):
    try:
        return subprocess.run(cmd, check=True, capture_output=True, text=True, **kwargs)
    except subprocess.CalledProcessError as exc:
        raise RuntimeError(f"{cmd} failed:\n{exc.stdout}\n{exc.stderr}") from exc


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise TimeoutError(f"{what} did not happen within {timeout}s")


def server_env(extra: dict | None = None) -> dict:
    """The environment of an app process (gunicorn, manage.py) against our own servers."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("DATABASE_", "REDIS_URL", "DB_", "GUNICORN_", "WEB_CONCURRENCY",
                                  "THROTTLE_", "REPLICA_"))}
    env.update(
        PATH=f"{os.path.dirname(sys.executable)}:/usr/sbin:{env.get('PATH', '/usr/bin:/bin')}",
        DJANGO_SETTINGS_MODULE="bank_project.settings",
        DEBUG="0",
        SECRET_KEY=SECRET_KEY,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="0",
        REQUEST_LOG_LEVEL="WARNING",
        # Throttles stay on (they must fail open when Redis fails) with rates no load reaches.
        API_THROTTLE="on",
        THROTTLE_USER="100000/min",
        THROTTLE_ANON="100000/min",
        THROTTLE_MONEY="100000/min",
        LOGIN_FAILURES_PER_IP="100000",
    )
    env.update(extra or {})
    return env


class PgServer:
    """One PostgreSQL server in `path` (data in `path`/data), on a port of its own.
    `settings`: more `-c` options for `start`, e.g. a primary's replication settings."""

    def __init__(self, bin_dir: str, path: Path, max_connections: int = 60, settings: str = ""):
        self.bin = bin_dir
        self.path = path
        self.data = path / "data"
        self.port = free_port()
        self.max_connections = max_connections
        self.settings = settings
        path.mkdir(parents=True, exist_ok=True)
        give_to_postgres(path)

    def url(self, user=APP_ROLE, dbname="bank") -> str:
        return f"postgres://{user}@127.0.0.1:{self.port}/{dbname}"

    def connect(self, dbname="bank", user="postgres"):
        return psycopg.connect(host="127.0.0.1", port=self.port, user=user, dbname=dbname, autocommit=True,
                               connect_timeout=5)

    def query(self, sql, params=None, dbname="bank"):
        with self.connect(dbname) as conn:
            return conn.execute(sql, params).fetchall()

    def initdb(self):
        run([*as_postgres_user(), f"{self.bin}/initdb", "-D", str(self.data), "-U", "postgres",
             "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"])

    def start(self):
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.path} "
                   f"-c max_connections={self.max_connections} -c fsync=off -c full_page_writes=off "
                   f"-c shared_buffers=32MB {self.settings}")
        run([*as_postgres_user(), f"{self.bin}/pg_ctl", "-D", str(self.data), "-o", options,
             "-l", str(self.path / "postgres.log"), "-w", "-t", "30", "start"])

    def stop(self, mode="fast"):
        subprocess.run([*as_postgres_user(), f"{self.bin}/pg_ctl", "-D", str(self.data), "-m", mode,
                        "-w", "-t", "30", "stop"], capture_output=True)

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()


SEED_SCRIPT = """
import sys, django
django.setup()
from decimal import Decimal
from onboarding.services import open_customer, register
from transactions import services as ledger
count, password, opening, name = int(sys.argv[1]), sys.argv[2], Decimal(sys.argv[3]), sys.argv[4]
for n in range(count):
    user = register(username=f"{name}{n}", first_name=name.capitalize(), last_name=f"Customer{n}",
                    email=f"{name}{n}@example.com", password=password)
    customer = open_customer(user=user, mobile_no=f"0181{n:07d}", nid=f"{3000000000 + n}",
                             age=30, occupation="Tester", monthly_income=Decimal("50000.00"))
    ledger.deposit(account=customer.account, amount=opening, performed_by=None)
    print(customer.account.account_no)
"""


def create_bank(server: PgServer, *, customers: int, password: str, opening: Decimal, name: str) -> list[str]:
    """On a started server: role `bank_app` owning database `bank`, migrated, with customers
    `name`0.. (each `opening` deposited through the ledger); their account numbers."""
    with server.connect("postgres") as admin:
        admin.execute(f"CREATE ROLE {APP_ROLE} LOGIN")
        admin.execute(f"CREATE DATABASE bank OWNER {APP_ROLE}")
    env = server_env({"DATABASE_URL": server.url()})
    run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=REPO, env=env)
    return run([sys.executable, "-c", SEED_SCRIPT, str(customers), password, str(opening), name],
               cwd=REPO, env=env).stdout.split()


class Daemon:
    """A process of ours in a session of its own (stopping it stops its children too)."""

    process: subprocess.Popen | None = None
    port: int

    def launch(self, cmd: list[str], log: Path, what: str):
        self.process = subprocess.Popen(cmd, stdout=open(log, "ab"), stderr=subprocess.STDOUT,
                                        start_new_session=True)
        wait_for(lambda: port_open(self.port), 15, what)

    def kill(self, sig=signal.SIGKILL):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            self.process.wait(10)

    def stop(self):
        self.kill(signal.SIGTERM)


class Redis(Daemon):
    """redis-server saving nothing; `freeze` (SIGSTOP) and `thaw` it to simulate a hung one."""

    def __init__(self, root: Path):
        self.port = free_port()
        self.root = root
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.launch([program("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                     "--appendonly", "no", "--dir", str(self.root)], self.root / "redis.log", "redis")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.thaw()  # a frozen server acts on SIGTERM only once continued
        super().stop()

    def freeze(self):
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self):
        self.process.send_signal(signal.SIGCONT)
