"""Issue 11: error bodies on the old client's paths carry no code word (it shows every value)."""

import pytest
from rest_framework.test import APIClient

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _values(body) -> str:
    if isinstance(body, dict):
        return " ".join(_values(value) for value in body.values())
    if isinstance(body, list):
        return " ".join(_values(value) for value in body)
    return str(body)


def test_wrong_password_on_the_old_path_has_no_code_in_the_body():
    UserFactory(username="alice")
    response = APIClient().post("/api/auth/login/", {"username": "alice", "password": "wrong"}, format="json")
    assert response.status_code == 401
    assert response.json() == {"detail": "Wrong username or password."}
    assert "invalid_credentials" not in _values(response.json())
    assert response["X-Error-Code"] == "invalid_credentials"


def test_the_briefs_path_keeps_the_code_in_the_body():
    UserFactory(username="alice")
    response = APIClient().post("/api/login/", {"username": "alice", "password": "wrong"}, format="json")
    assert response.json()["code"] == "invalid_credentials"


@pytest.mark.parametrize("path", ["/api/account/customer/", "/api/transactions/deposit/",
                                  "/api/transactions/loans/"])
def test_unauthenticated_and_bad_token_bodies_on_old_paths_are_plain(path):
    response = APIClient().get(path)
    assert response.status_code == 401 and set(response.json()) == {"detail"}
    assert response["X-Error-Code"] == "not_authenticated"
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    response = client.get(path)
    assert response.status_code == 401 and set(response.json()) == {"detail"}
    assert response["X-Error-Code"]


def test_domain_error_on_an_old_path(customer_client):
    response = customer_client.post("/api/transactions/withdrawal/", {"amount": 1000}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"detail"} and response["X-Error-Code"] == "insufficient_funds"
