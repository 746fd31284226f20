"""API8:2023 Security Misconfiguration.

Production settings (DEBUG off, HTTPS only, secure cookies, HSTS, JSON-only renderers),
`check --deploy` clean (tests/test_deploy.py, collected here too), security headers on
every response, CORS only for the configured origins, no stack trace or debug page ever,
errors as JSON, Swagger UI without third-party scripts.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.test_deploy import test_check_deploy_is_clean_with_production_settings  # noqa: F401  (API8 too)

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_PROBE = """
import json
from django.conf import settings as s
print(json.dumps({
    "DEBUG": s.DEBUG,
    "SECURE_SSL_REDIRECT": s.SECURE_SSL_REDIRECT,
    "SESSION_COOKIE_SECURE": s.SESSION_COOKIE_SECURE,
    "SESSION_COOKIE_HTTPONLY": s.SESSION_COOKIE_HTTPONLY,
    "CSRF_COOKIE_SECURE": s.CSRF_COOKIE_SECURE,
    "SECURE_HSTS_SECONDS": s.SECURE_HSTS_SECONDS,
    "SECURE_CONTENT_TYPE_NOSNIFF": s.SECURE_CONTENT_TYPE_NOSNIFF,
    "X_FRAME_OPTIONS": s.X_FRAME_OPTIONS,
    "SECURE_PROXY_SSL_HEADER": list(s.SECURE_PROXY_SSL_HEADER),
    "CORS_ALLOWED_ORIGINS": s.CORS_ALLOWED_ORIGINS,
    "CORS_ALLOW_ALL_ORIGINS": getattr(s, "CORS_ALLOW_ALL_ORIGINS", False),
    "CORS_ALLOW_CREDENTIALS": getattr(s, "CORS_ALLOW_CREDENTIALS", False),
    "RENDERERS": s.REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"],
    "PASSWORD_HASHER": s.PASSWORD_HASHERS[0],
}))
"""


def test_production_settings_are_safe_when_nothing_says_otherwise():
    """DEBUG is not set at all: the settings must default to production behaviour."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DEBUG", "CORS_", "SECURE_"))}
    env.update(DJANGO_SETTINGS_MODULE="bank_project.settings", SECRET_KEY="x" * 60, ALLOWED_HOSTS="bank.example")
    result = subprocess.run([sys.executable, "manage.py", "shell", "-c", PRODUCTION_PROBE], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["DEBUG"] is False
    assert found["SECURE_SSL_REDIRECT"] is True
    assert found["SESSION_COOKIE_SECURE"] and found["SESSION_COOKIE_HTTPONLY"] and found["CSRF_COOKIE_SECURE"]
    assert found["SECURE_HSTS_SECONDS"] >= 31536000
    assert found["SECURE_CONTENT_TYPE_NOSNIFF"] and found["X_FRAME_OPTIONS"] == "DENY"
    assert found["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert found["CORS_ALLOWED_ORIGINS"] == [] and not found["CORS_ALLOW_ALL_ORIGINS"]
    assert not found["CORS_ALLOW_CREDENTIALS"]
    assert found["RENDERERS"] == ["bank_project.api.renderers.JSONRenderer"]  # no browsable API
    assert "Argon2" in found["PASSWORD_HASHER"]


@pytest.mark.parametrize("path", ["/api/login/", "/api/customer/", "/healthz", "/api/docs/", "/admin/login/"])
def test_security_headers_on_every_kind_of_response(path):
    response = Client().get(path, HTTP_X_FORWARDED_PROTO="https")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    # drf-spectacular opens the docs page's opener policy for Swagger UI's OAuth2 pop-up.
    assert response["Cross-Origin-Opener-Policy"] == ("unsafe-none" if path == "/api/docs/" else "same-origin")
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "X-Request-ID" in response


def test_plain_http_is_redirected_to_https_except_the_health_check(settings):
    settings.SECURE_SSL_REDIRECT = True
    response = Client().get("/api/services/")
    assert response.status_code == 301 and response["Location"].startswith("https://")
    assert Client().get("/healthz").status_code == 200
    assert Client().get("/api/services/", HTTP_X_FORWARDED_PROTO="https").status_code == 200


def test_cors_answers_only_configured_origins(settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.bank.example"]
    friendly = Client().get("/api/services/", HTTP_ORIGIN="https://app.bank.example")
    assert friendly["Access-Control-Allow-Origin"] == "https://app.bank.example"
    assert "Access-Control-Allow-Credentials" not in friendly
    hostile = Client().get("/api/services/", HTTP_ORIGIN="https://evil.example")
    assert "Access-Control-Allow-Origin" not in hostile
    preflight = Client().options("/api/deposit/", HTTP_ORIGIN="https://evil.example",
                                 HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
                                 HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization,content-type")
    assert "Access-Control-Allow-Origin" not in preflight
    preflight = Client().options("/api/deposit/", HTTP_ORIGIN="https://app.bank.example",
                                 HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
                                 HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization,content-type,idempotency-key")
    assert preflight["Access-Control-Allow-Origin"] == "https://app.bank.example"
    assert "idempotency-key" in preflight["Access-Control-Allow-Headers"]


def test_cors_is_closed_by_default():
    response = Client().get("/api/services/", HTTP_ORIGIN="https://anything.example")
    assert "Access-Control-Allow-Origin" not in response


def test_an_unexpected_error_is_a_bare_500_without_stack_trace(customer, monkeypatch):
    from payments import services  # a customer's deposit starts a gateway payment

    def explode(**kwargs):
        raise RuntimeError("secret internals at /srv/bank/payments/services.py line 42")

    monkeypatch.setattr(services, "start_payment", explode)
    from tests.conftest import client_for

    client = client_for(customer.user)
    client.raise_request_exception = False
    response = client.post("/api/deposit/", {"amount": "10.00"}, format="json")
    assert response.status_code == 500
    body = response.content.decode()
    for leak in ("Traceback", "RuntimeError", "secret internals", "services.py", str(ROOT)):
        assert leak not in body


def test_unknown_urls_show_no_url_map():
    response = Client().get("/api/definitely-not-here/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "URLconf" not in body and "urlpatterns" not in body and "api/login/" not in body


@pytest.mark.parametrize("method, path, status", [
    ("get", "/api/customer/", 401),
    ("delete", "/api/login/", 405),
    ("get", "/api/loans/999999/", 404),
    ("post", "/api/register/", 400),
])
def test_api_errors_are_json_with_a_message(customer, method, path, status):
    from tests.conftest import client_for

    client = APIClient() if status in (401, 405, 400) else client_for(customer.user)
    response = getattr(client, method)(path, {}, format="json") if method == "post" else getattr(client, method)(path)
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body and all(isinstance(key, str) for key in body)


def test_browsers_get_json_not_the_browsable_api(customer):
    from tests.conftest import client_for

    response = client_for(customer.user).get("/api/customer/",
                                             HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")


def test_swagger_ui_runs_no_third_party_script():
    body = Client().get("/api/docs/").content.decode()
    for host in ("cdn.jsdelivr", "unpkg.com", "cdnjs", "googleapis"):
        assert host not in body
    assert "/static/drf_spectacular_sidecar/" in body


def test_health_check_says_nothing_about_the_stack():
    body = Client().get("/healthz").json()
    assert set(body) == {"status", "database"}
