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
The start-up code it shares with the fault suite (PostgreSQL, Redis, daemons, the app's
environment) is bench/local_servers.py.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

if not __package__:  # run as `python bench/cluster.py`: make `bench.` importable, as under pytest
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.local_servers import (
    APP_ROLE,
    REPO,
    Daemon,
    PgServer,
    Redis,
    as_postgres_user,
    create_bank,
    free_port,
    give_to_postgres,
    pg_bin_dir,
    program,
    run,
    server_env,
    wait_for,
)
from bench.local_servers import missing_programs as _missing_programs
from bench.local_servers import scratch_dir as _scratch_dir

PASSWORD = "Scale-Out-Bank-2026!"
# Both servers: the primary streams its WAL to a `pg_basebackup -R` standby that answers reads.
REPLICATION_SETTINGS = ("-c synchronous_commit=off -c wal_level=replica -c max_wal_senders=4 -c hot_standby=on "
                        "-c wal_receiver_status_interval=1")


def scratch_dir(name: str) -> Path:
    return _scratch_dir(f"bank-scaleout-{name}-")


def missing_programs() -> list[str]:
    return _missing_programs(("pgbouncer", "nginx", "redis-server"))


class ReplicatedDatabase:
    """A primary with the bank migrated and seeded, and a standby streaming from it
    (pg_basebackup -R)."""

    def __init__(self, root: Path, customers: int = 4, opening: Decimal = Decimal("10000.00")):
        self.bin = pg_bin_dir()
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        root.chmod(0o755)
        self.primary = PgServer(self.bin, root / "primary", settings=REPLICATION_SETTINGS)
        self.standby = PgServer(self.bin, root / "standby", settings=REPLICATION_SETTINGS)
        self.customers = customers
        self.opening = opening
        self.account_numbers: list[str] = []

    def start(self):
        self.primary.initdb()
        self.primary.start()
        self.account_numbers = create_bank(self.primary, customers=self.customers, password=PASSWORD,
                                           opening=self.opening, name="scale")
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


class Gunicorn(Daemon):
    """One app node: gunicorn with the project's gunicorn.conf.py on a port of its own, and
    the node's posting writer (manage.py run_posting_writer) on a unix socket, as
    deploy/serve runs them. Killing the node kills both, as a lost machine would."""

    def __init__(self, root: Path, env: dict, workers: int = 1, name: str = "node"):
        self.port = free_port()
        self.root = root
        self.log = root / f"{name}.log"
        # Short: a unix socket's path may not exceed 107 bytes, and scratch directories run long.
        self.socket = Path(tempfile.mkdtemp(prefix=f"pw-{name}-", dir="/tmp")) / "posting-writer.sock"
        self.env = {**env, "WEB_CONCURRENCY": str(workers), "GUNICORN_BIND": f"127.0.0.1:{self.port}",
                    "POSTING_WRITER_SOCKET": str(self.socket)}
        self.process = self.writer = None

    def start(self):
        self.writer = subprocess.Popen(
            [sys.executable, "manage.py", "run_posting_writer"], cwd=REPO, env=self.env,
            stdout=open(self.log, "ab"), stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(self._writer_up, 30, f"posting writer of {self.port}")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "bank_project.wsgi"],
            cwd=REPO, env=self.env, stdout=open(self.log, "ab"), stderr=subprocess.STDOUT,
            start_new_session=True)
        wait_for(lambda: self._up(), 30, f"gunicorn on {self.port}")

    def _writer_up(self) -> bool:
        if self.writer.poll() is not None:
            raise RuntimeError(f"the posting writer exited: {self.log.read_text()[-3000:]}")
        return self.socket.exists()

    def kill(self, sig=signal.SIGKILL):
        super().kill(sig)
        if self.writer and self.writer.poll() is None:
            os.killpg(self.writer.pid, sig)
            self.writer.wait(10)
        shutil.rmtree(self.socket.parent, ignore_errors=True)

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


class PgBouncer(Daemon):
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
        give_to_postgres(self.root, *self.root.iterdir())
        self.launch([*as_postgres_user(), program("pgbouncer"), str(self.root / "pgbouncer.ini")],
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


class Nginx(Daemon):
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
        self.launch([program("nginx"), "-c", str(conf), "-p", str(self.root), "-g", "daemon off;"],
                    self.root / "stdout.log", "nginx")


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
