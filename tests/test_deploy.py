"""Production configuration: `check --deploy` is clean, and the Dockerfile's gunicorn command
serves the app with production settings (DEBUG off, HTTPS behind a proxy, JSON logs)."""

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import on_postgres

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CMD = ["-c", "gunicorn.conf.py", "bank_project.wsgi"]  # as in the Dockerfile


def production_env(**extra) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update(
        DJANGO_SETTINGS_MODULE="bank_project.settings",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="example.com",
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.pop("REDIS_URL", None)
    env.update(extra)
    return env


def manage(*args, env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = production_env()
    env.pop("SECRET_KEY")
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_dockerfile_runs_the_tested_gunicorn_command_behind_nginx_as_a_non_root_user():
    dockerfile = (ROOT / "Dockerfile").read_text()
    cmd = next(line for line in dockerfile.splitlines() if line.startswith("CMD "))
    assert json.loads(cmd[4:]) == ["/app/deploy/serve"]  # nginx in front (tests/faults runs it under faults)
    assert "WORKDIR /app" in dockerfile
    serve = (ROOT / "deploy" / "serve").read_text()
    assert f"gunicorn {' '.join(GUNICORN_CMD)}" in serve
    assert os.access(ROOT / "deploy" / "serve", os.X_OK)
    assert dockerfile.startswith("#") and "FROM python:3.11-slim" in dockerfile
    users = [line.split()[1] for line in dockerfile.splitlines() if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert "collectstatic --noinput" in dockerfile


def test_render_blueprint_wires_the_database_secret_and_health_check():
    import yaml

    blueprint = yaml.safe_load((ROOT / "render.yaml").read_text())
    web = next(service for service in blueprint["services"] if service["type"] == "web")
    env = {var["key"]: var for var in web["envVars"]}
    database = blueprint["databases"][0]["name"]
    assert env["DATABASE_URL"]["fromDatabase"] == {"name": database, "property": "connectionString"}
    assert env["SECRET_KEY"].get("generateValue") is True
    assert env["DEBUG"]["value"] == "0"
    assert web["healthCheckPath"] == "/readyz"
    assert "migrate" in web["preDeployCommand"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str, headers: dict | None = None):
    """(status, headers, body) without following redirects."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, headers={"Host": "example.com", **(headers or {})})
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.fixture
def database_url(request, tmp_path):
    """A database gunicorn's processes can reach: on PostgreSQL the test database (committed
    rows, via transactional_db), otherwise a fresh SQLite file migrated like a deploy would."""
    if on_postgres():
        request.getfixturevalue("transactional_db")
        db = settings.DATABASES["default"]
        return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    url = f"sqlite:///{tmp_path / 'deploy.sqlite3'}"
    result = manage("migrate", "--noinput", env=production_env(DATABASE_URL=url))
    assert result.returncode == 0, result.stderr
    return url


@pytest.mark.slow
def test_gunicorn_serves_the_app_with_production_settings(database_url, tmp_path):
    port = free_port()
    log = tmp_path / "gunicorn.log"
    env = production_env(DATABASE_URL=database_url, PORT=str(port), WEB_CONCURRENCY="2")
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [str(gunicorn)] if gunicorn.exists() else [sys.executable, "-m", "gunicorn"]
    with log.open("w") as output:
        server = subprocess.Popen(
            [*command, *GUNICORN_CMD], cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, "gunicorn exited:\n" + log.read_text()
            try:
                status, _, body = get(f"{base}/healthz")
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not answer in 30 s:\n" + log.read_text()
                time.sleep(0.2)
        # The load balancer's probe is answered over plain HTTP.
        assert status == 200, body
        assert json.loads(body) == {"status": "ok", "database": "ok"}

        # Plain HTTP to the API is sent to HTTPS ...
        status, headers, _ = get(f"{base}/api/services/")
        assert status == 301
        assert headers["Location"] == "https://example.com/api/services/"

        # ... and behind the TLS-terminating proxy it is served, with HSTS and a request id.
        status, headers, body = get(
            f"{base}/api/services/", {"X-Forwarded-Proto": "https", "X-Request-ID": "deploy-test-42"}
        )
        assert status == 200, body
        assert json.loads(body) == []  # the catalogue: a bare array (the web client maps over it)
        assert headers["X-Request-ID"] == "deploy-test-42"
        assert "max-age=" in headers["Strict-Transport-Security"]
        assert headers["Content-Type"].startswith("application/json")  # no browsable API in production

        # Unknown hosts are refused, not served.
        status, _, _ = get(f"{base}/api/services/", {"Host": "evil.example.net", "X-Forwarded-Proto": "https"})
        assert status == 400
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()

    # One JSON log line per request, carrying its id.
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    logged = [line for line in lines if line.get("request_id") == "deploy-test-42"]
    assert logged and logged[0]["path"] == "/api/services/" and logged[0]["status"] == 200
