"""What every browser test shares: Debian's Chromium driven by Playwright, and a real server
(`manage.py runserver`) over a fresh SQLite file seeded through the services.

Why a server subprocess with its own SQLite file, and not pytest-django's `live_server`:
live_server needs a transactional test database, emptied after the test with DELETE on
SQLite, which the ledger's append-only triggers refuse. Here `manage.py migrate` builds a
fresh database file in a temporary directory, `manage.py shell` seeds it through the
services, and `manage.py runserver` serves it, all with the test settings. The tests do
not touch the test database at all, so they run the same on the SQLite and the PostgreSQL
run of the suite, and nothing has to be flushed.
"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Browser-Test-42"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def seeded_server(workdir: Path, seed: str):
    """Migrate a new SQLite database in `workdir`, run `seed` (Python for `manage.py shell`,
    printing a JSON object on its last line) and serve it; yields {"url": ..., **that object}."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bank_project.settings_test",
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
        "REDIS_URL": "",
        "DEBUG": "0",
        "API_THROTTLE": "off",
        # Where the sandbox checkout sends the browser back (the web client; here a 404 page).
        "FRONTEND_URL": f"{base_url}/client",
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=300)
    seeded = subprocess.run([*manage, "shell", "-c", seed], cwd=ROOT, env=env, check=True, timeout=120,
                            capture_output=True, text=True)
    ids = json.loads(seeded.stdout.strip().splitlines()[-1])

    log = open(workdir / "server.log", "w")
    process = subprocess.Popen([*manage, "runserver", f"127.0.0.1:{port}", "--noreload", "--skip-checks"],
                               cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError("the server exited:\n" + (workdir / "server.log").read_text()) from None
                time.sleep(0.25)
        else:
            raise RuntimeError("the server did not answer /healthz:\n" + (workdir / "server.log").read_text())
        yield {"url": base_url, **ids}
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def log_in_to_the_admin(page, url: str, username: str) -> None:
    page.goto(f"{url}/admin/")
    assert "/admin/login/" in page.url
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit], button[type=submit]")


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()
