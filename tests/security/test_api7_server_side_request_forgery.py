"""API7:2023 Server Side Request Forgery.

The API takes URLs in three places (customer and manager `image`, service `image`) and
never fetches them: they are stored as text for the client to show. These tests fail if
any request handler opens a network connection, and refuse non-http(s) schemes.
"""

import socket

import pytest

from services.models import Service
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

INTERNAL_URLS = [
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://127.0.0.1:5432/",
    "http://localhost:6379/",
    "http://[::1]/admin/",
]


@pytest.fixture
def outbound_connections(db, monkeypatch):
    """Every socket connect made while the test runs, refused and recorded. The test
    database connection is open before the test starts (and the cache is the database),
    so a handler that fetched a URL would be the only one to connect."""
    attempts = []

    def refuse(sock, address):
        attempts.append(address)
        raise ConnectionRefusedError(f"test: no outbound connections ({address})")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


@pytest.mark.parametrize("url", INTERNAL_URLS)
def test_image_urls_are_stored_never_fetched(customer, manager, outbound_connections, url):
    response = client_for(customer.user).patch(f"/api/customer/{customer.pk}/", {"image": url}, format="json")
    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.image == url  # kept as text
    response = client_for(manager.user).post("/api/services/", {"name": "Metadata", "image": url}, format="json")
    assert response.status_code == 201
    assert outbound_connections == []


@pytest.mark.parametrize("url", ["file:///etc/passwd", "gopher://127.0.0.1:6379/_FLUSHALL", "javascript:alert(1)",
                                 "dict://127.0.0.1:11211/stat", "data:text/html,<script>alert(1)</script>"])
def test_non_http_schemes_are_refused(customer, manager, url):
    response = client_for(customer.user).patch(f"/api/customer/{customer.pk}/", {"image": url}, format="json")
    assert response.status_code == 400 and "image" in response.json()
    response = client_for(manager.user).post("/api/services/", {"name": "Scheme test", "image": url}, format="json")
    assert response.status_code == 400 and "image" in response.json()
    assert not Service.objects.filter(name="Scheme test").exists()


def test_the_trap_catches_a_fetch(outbound_connections):
    """The control: a handler that did fetch would be seen."""
    import urllib.request

    with pytest.raises(OSError):
        urllib.request.urlopen("http://169.254.169.254/latest/meta-data/", timeout=1)
    assert outbound_connections
