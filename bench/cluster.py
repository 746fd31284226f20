"""A local bank cluster from Debian packages (issue 15), for the scale-out tests and by hand:

    nginx (load balancing, request buffering)
      -> N gunicorn nodes (the project's gunicorn.conf.py)
        -> PgBouncer (transaction pooling; the app runs with DB_SERVER_SIDE_BINDING=0)
          -> PostgreSQL primary + a streaming standby (pg_basebackup -R), reads via the replica router
        -> one Redis (cache: throttles, revoked tokens, read-your-writes pins)

    .venv/bin/python bench/cluster.py [--nodes 2] [--customers 8]

starts it all on free ports under a temporary directory, migrates and seeds the bank
(customers scale0.. with the password below), prints the addresses and waits for Ctrl-C.
Needs: postgresql (initdb, pg_basebackup), pgbouncer, nginx, redis-server.
initdb, postgres and pgbouncer run as the `postgres` OS user when started as root.
"""

from __future__ import annotations

import argparse
import glob
import http.client
import json
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
PASSWORD = "Scale-Out-Bank-2026!"
APP_ROLE = "bank_app"
SECRET_KEY = "scale-out-suite-" + "x" * 50


def pg_bin_dir() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return os.path.dirname(found[-1]) if found else None


def scratch_dir(name: str) -> Path:
    """A directory the postgres OS user can enter (pytest's tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix=f"bank-scaleout-{name}-"))
    path.chmod(0o755)
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def as_postgres_user() -> list[str]:
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


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
        API_THROTTLE="on",
        THROTTLE_USER="100000/min",
        THROTTLE_ANON="100000/min",
        THROTTLE_MONEY="100000/min",
        LOGIN_FAILURES_PER_IP="100000",
    )
    env.update(extra or {})
    return env


class PgServer:
    """One PostgreSQL server (primary or standby) in `path`, on a port of its own."""

    def __init__(self, bin_dir: str, path: Path):
        self.bin = bin_dir
        self.path = path
        self.data = path / "data"
        self.port = free_port()
        path.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(path, "postgres")

    def url(self, user=APP_ROLE, dbname="bank") -> str:
        return f"postgres://{user}@127.0.0.1:{self.port}/{dbname}"

    def connect(self, dbname="bank", user="postgres"):
        return psycopg.connect(host="127.0.0.1", port=self.port, user=user, dbname=dbname, autocommit=True,
                               connect_timeout=5)

    def query(self, sql, params=None, dbname="bank"):
        with self.connect(dbname) as conn:
            return conn.execute(sql, params).fetchall()

    def start(self, max_connections=60):
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.path} "
                   f"-c max_connections={max_connections} -c fsync=off -c full_page_writes=off "
                   "-c synchronous_commit=off -c shared_buffers=32MB -c wal_level=replica "
                   "-c max_wal_senders=4 -c hot_standby=on -c wal_receiver_status_interval=1")
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
count, password, opening = int(sys.argv[1]), sys.argv[2], Decimal(sys.argv[3])
for n in range(count):
    user = register(username=f"scale{n}", first_name="Scale", last_name=f"Customer{n}",
                    email=f"scale{n}@example.com", password=password)
    customer = open_customer(user=user, mobile_no=f"0181{n:07d}", nid=f"{3000000000 + n}",
                             age=30, occupation="Tester", monthly_income=Decimal("50000.00"))
    ledger.deposit(account=customer.account, amount=opening, performed_by=None)
    print(customer.account.account_no)
"""


class ReplicatedDatabase:
    """A primary with the bank migrated and seeded, and a standby streaming from it
    (pg_basebackup -R)."""

    def __init__(self, root: Path, customers: int = 4, opening: Decimal = Decimal("10000.00")):
        self.bin = pg_bin_dir()
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        root.chmod(0o755)
        self.primary = PgServer(self.bin, root / "primary")
        self.standby = PgServer(self.bin, root / "standby")
        self.customers = customers
        self.opening = opening
        self.account_numbers: list[str] = []

    def start(self):
        run([*as_postgres_user(), f"{self.bin}/initdb", "-D", str(self.primary.data), "-U", "postgres",
             "--auth=trust", "-E", "UTF8", "--no-sync"])
        self.primary.start()
        with self.primary.connect("postgres") as admin:
            admin.execute(f"CREATE ROLE {APP_ROLE} LOGIN")
            admin.execute(f"CREATE DATABASE bank OWNER {APP_ROLE}")
        env = server_env({"DATABASE_URL": self.primary.url()})
        run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=REPO, env=env)
        out = run([sys.executable, "-c", SEED_SCRIPT, str(self.customers), PASSWORD, str(self.opening)],
                  cwd=REPO, env=env).stdout
        self.account_numbers = out.split()
        run([*as_postgres_user(), f"{self.bin}/pg_basebackup", "-D", str(self.standby.data), "-R",
             "-X", "stream", "-c", "fast", "-h", "127.0.0.1", "-p", str(self.primary.port), "-U", "postgres"])
        self.standby.start()
        wait_for(lambda: self.standby.query("SELECT pg_is_in_recovery()")[0][0], 30, "standby in recovery")

    def stop(self):
        self.standby.stop("immediate")
        self.primary.stop("immediate")

    def caught_up(self) -> bool:
        """Has the standby replayed everything the primary has written so far?"""
        (lsn,) = self.primary.query("SELECT pg_current_wal_lsn()::text")[0]
        return self.standby.query("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (lsn,))[0][0]

    def heartbeat(self):
        """A fresh commit on the primary, replayed on the standby: its replay timestamp is now."""
        with self.primary.connect("postgres") as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS heartbeat (at timestamptz)")
            conn.execute("INSERT INTO heartbeat VALUES (now())")
        wait_for(self.caught_up, 15, "standby catching up")

    def pause_replay(self):
        self.standby.query("SELECT pg_wal_replay_pause()")

    def resume_replay(self):
        self.standby.query("SELECT pg_wal_replay_resume()")


class _Daemon:
    """A process of ours in a session of its own (stopping it stops its children too)."""

    process: subprocess.Popen | None = None
    port: int

    def launch(self, cmd: list[str], log: Path, what: str):
        self.process = subprocess.Popen(cmd, stdout=open(log, "ab"), stderr=subprocess.STDOUT,
                                        start_new_session=True)
        wait_for(lambda: _port_open(self.port), 15, what)

    def kill(self, sig=signal.SIGKILL):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            self.process.wait(10)

    def stop(self):
        self.kill(signal.SIGTERM)


class Gunicorn(_Daemon):
    """One app node: gunicorn with the project's gunicorn.conf.py on a port of its own."""

    def __init__(self, root: Path, env: dict, workers: int = 1, name: str = "node"):
        self.port = free_port()
        self.root = root
        self.log = root / f"{name}.log"
        self.env = {**env, "WEB_CONCURRENCY": str(workers), "GUNICORN_BIND": f"127.0.0.1:{self.port}"}
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "bank_project.wsgi"],
            cwd=REPO, env=self.env, stdout=open(self.log, "ab"), stderr=subprocess.STDOUT,
            start_new_session=True)
        wait_for(lambda: self._up(), 30, f"gunicorn on {self.port}")

    def _up(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {self.log.read_text()[-3000:]}")
        try:
            return request("127.0.0.1", self.port, "GET", "/healthz")[0] == 200
        except OSError:
            return False

def request(host, port, method, path, body=None, token=None, headers=None, timeout=20):
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        all_headers = {"Host": "127.0.0.1", "Accept": "application/json", **(headers or {})}
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        payload = None
        if body is not None:
            payload = json.dumps(body)
            all_headers["Content-Type"] = "application/json"
        conn.request(method, path, body=payload, headers=all_headers)
        response = conn.getresponse()
        raw = response.read()
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            data = raw.decode(errors="replace")
        return response.status, data
    finally:
        conn.close()


def log_in(port, username, host="127.0.0.1") -> str:
    status, data = request(host, port, "POST", "/api/login/", {"username": username, "password": PASSWORD})
    assert status == 200, (status, data)
    return data["access"]


def missing_programs() -> list[str]:
    missing = [] if pg_bin_dir() else ["postgresql (/usr/lib/postgresql/*/bin/initdb)"]
    for program in ("pgbouncer", "nginx", "redis-server"):
        if not (shutil.which(program) or os.path.exists(f"/usr/sbin/{program}")):
            missing.append(program)
    return missing


def _program(name: str) -> str:
    return shutil.which(name) or f"/usr/sbin/{name}"


class Redis(_Daemon):
    def __init__(self, root: Path):
        self.port = free_port()
        self.root = root
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.launch([_program("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                     "--appendonly", "no", "--dir", str(self.root)], self.root / "redis.log", "redis")


class PgBouncer(_Daemon):
    """Transaction pooling in front of the primary (`bank`) and the standby (`bank_replica`)."""

    def __init__(self, root: Path, db: ReplicatedDatabase, pool_size: int = 16):
        self.root = root / "pgbouncer"
        self.root.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.db = db
        self.pool_size = pool_size
        self.process = None

    def url(self, dbname="bank") -> str:
        return f"postgres://{APP_ROLE}@127.0.0.1:{self.port}/{dbname}"

    def start(self):
        (self.root / "userlist.txt").write_text(f'"{APP_ROLE}" ""\n"postgres" ""\n')
        (self.root / "pgbouncer.ini").write_text(f"""[databases]
bank = host=127.0.0.1 port={self.db.primary.port} dbname=bank
bank_replica = host=127.0.0.1 port={self.db.standby.port} dbname=bank

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir = {self.root}
auth_type = trust
auth_file = {self.root}/userlist.txt
pool_mode = transaction
max_client_conn = 500
default_pool_size = {self.pool_size}
server_connect_timeout = 2
server_login_retry = 1
query_wait_timeout = 10
ignore_startup_parameters = extra_float_digits,options
admin_users = postgres
logfile = {self.root}/pgbouncer.log
""")
        if os.geteuid() == 0:
            for path in (self.root, *self.root.iterdir()):
                shutil.chown(path, "postgres")
        self.launch([*as_postgres_user(), _program("pgbouncer"), str(self.root / "pgbouncer.ini")],
                    self.root / "stdout.log", "pgbouncer")


NGINX_CONF = """
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {root}/client_body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    client_max_body_size 1m;
    client_body_buffer_size 256k;
    upstream app {{
        # A node that refuses connections is skipped for 5 s; requests it never received
        # (connection refused) go to the other node, POSTs included.
{servers}
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_request_buffering on;   # gunicorn's sync workers get whole requests
            proxy_buffering on;
            proxy_next_upstream error timeout;
            proxy_connect_timeout 2s;
            proxy_read_timeout 40s;
        }}
    }}
}}
"""


class Nginx(_Daemon):
    def __init__(self, root: Path, nodes: list):
        self.root = root / "nginx"
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o777)  # its workers run as nobody when started as root
        self.port = free_port()
        self.nodes = nodes
        self.process = None

    def start(self):
        servers = "\n".join(f"        server 127.0.0.1:{node.port} max_fails=1 fail_timeout=5s;" for node in self.nodes)
        conf = self.root / "nginx.conf"
        conf.write_text(NGINX_CONF.format(root=self.root, servers=servers, port=self.port))
        self.launch([_program("nginx"), "-c", str(conf), "-p", str(self.root), "-g", "daemon off;"],
                    self.root / "stdout.log", "nginx")


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class Cluster:
    """nginx -> `nodes` gunicorns -> PgBouncer -> primary + standby; one Redis."""

    def __init__(self, root: Path | None = None, nodes: int = 2, workers: int = 2, customers: int = 8,
                 opening: Decimal = Decimal("10000.00"), extra_env: dict | None = None):
        self.root = root or scratch_dir("cluster")
        self.db = ReplicatedDatabase(self.root, customers=customers, opening=opening)
        self.redis = Redis(self.root)
        self.bouncer = PgBouncer(self.root, self.db)
        self.node_count = nodes
        self.workers = workers
        self.extra_env = extra_env or {}
        self.nodes: list[Gunicorn] = []
        self.nginx = None

    def app_env(self) -> dict:
        return server_env({
            "DATABASE_URL": self.bouncer.url("bank"),
            "DATABASE_REPLICA_URL": self.bouncer.url("bank_replica"),
            "DB_SERVER_SIDE_BINDING": "0",  # PgBouncer in transaction mode
            "REDIS_URL": self.redis.url,
            "NUM_PROXIES": "1",
            **self.extra_env,
        })

    def start(self):
        try:
            self.db.start()
            self.redis.start()
            self.bouncer.start()
            env = self.app_env()
            self.nodes = [Gunicorn(self.root, env, workers=self.workers, name=f"node{n}") for n in range(self.node_count)]
            for node in self.nodes:
                node.start()
            self.nginx = Nginx(self.root, self.nodes)
            self.nginx.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self):
        for part in (self.nginx, *self.nodes, self.bouncer, self.redis):
            if part is not None:
                try:
                    part.stop()
                except Exception:  # noqa: BLE001 - tear down the rest anyway
                    pass
        self.db.stop()

    def audit_ledger(self) -> subprocess.CompletedProcess:
        """`manage.py audit_ledger` against the primary, directly."""
        env = server_env({"DATABASE_URL": self.db.primary.url()})
        return subprocess.run([sys.executable, "manage.py", "audit_ledger"], cwd=REPO, env=env,
                              capture_output=True, text=True)

    def describe(self) -> str:
        lines = [f"nginx            http://127.0.0.1:{self.nginx.port}/"]
        lines += [f"gunicorn node{n}   http://127.0.0.1:{node.port}/  (log {node.log})" for n, node in enumerate(self.nodes)]
        lines += [f"pgbouncer        {self.bouncer.url()}  (replica: {self.bouncer.url('bank_replica')})",
                  f"primary          {self.db.primary.url()}",
                  f"standby          {self.db.standby.url()}",
                  f"redis            {self.redis.url}",
                  f"customers        scale0..scale{self.db.customers - 1} / {PASSWORD}",
                  f"files            {self.root}"]
        return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per node")
    parser.add_argument("--customers", type=int, default=8)
    args = parser.parse_args()
    missing = missing_programs()
    if missing:
        sys.exit(f"missing: {', '.join(missing)} (apt-get install postgresql pgbouncer nginx redis-server)")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # tear down on SIGTERM too
    cluster = Cluster(nodes=args.nodes, workers=args.workers, customers=args.customers).start()
    print(cluster.describe(), flush=True)
    try:
        signal.pause()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        cluster.stop()
        shutil.rmtree(cluster.root, ignore_errors=True)


if __name__ == "__main__":
    main()
