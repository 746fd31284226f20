"""API2:2023 Broken Authentication.

Every forged, expired, revoked or misused token is a 401 (never a 500, never a user);
password guessing is throttled per username and per address; failed logins do not tell
whether the username exists; session-authenticated writes need a CSRF token.
"""

from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.tokens import issue_tokens
from tests.factories import PASSWORD

pytestmark = [
    pytest.mark.django_db,
    # Forged tokens are signed with deliberately weak keys.
    pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning"),
]

PRIVATE = "/api/update-profile/"


def get_with(header: str):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    return client.get(PRIVATE)


def claims_for(user) -> dict:
    return dict(AccessToken.for_user(user).payload)


def signing_key() -> str:
    return settings.SIMPLE_JWT["SIGNING_KEY"]


def test_a_valid_token_works(customer):
    """The control for everything below."""
    assert get_with(f"Bearer {issue_tokens(customer.user)['access']}").status_code == 200


def test_a_signed_token_without_a_session_is_401(customer):
    """Every token must name a live login session; a genuine signature alone is not enough."""
    assert get_with(f"Bearer {AccessToken.for_user(customer.user)}").status_code == 401


def test_expired_access_token_is_401(customer):
    token = AccessToken.for_user(customer.user)
    token.set_exp(lifetime=-timedelta(seconds=1))
    response = get_with(f"Bearer {token}")
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_payload_changed_to_another_user_is_401(customer, other_customer):
    header, _, signature = str(AccessToken.for_user(customer.user)).split(".")
    forged_payload = jwt.encode({**claims_for(customer.user), "user_id": str(other_customer.user.pk)}, "x",
                                algorithm="HS256").split(".")[1]
    assert get_with(f"Bearer {header}.{forged_payload}.{signature}").status_code == 401


def test_tampered_signature_is_401(customer):
    token = str(AccessToken.for_user(customer.user))
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    assert get_with(f"Bearer {flipped}").status_code == 401


def test_alg_none_is_401(customer):
    unsigned = jwt.encode(claims_for(customer.user), None, algorithm="none")
    assert get_with(f"Bearer {unsigned}").status_code == 401
    assert get_with(f"Bearer {unsigned.rstrip('.')}.").status_code == 401


@pytest.mark.parametrize("key, algorithm", [("not-the-bank-key", "HS256"), (None, "HS512")])
def test_token_signed_with_another_key_or_algorithm_is_401(customer, key, algorithm):
    forged = jwt.encode(claims_for(customer.user), key or signing_key(), algorithm=algorithm)
    assert get_with(f"Bearer {forged}").status_code == 401


def test_refresh_token_is_not_an_access_token(customer):
    assert get_with(f"Bearer {RefreshToken.for_user(customer.user)}").status_code == 401


def test_revoked_tokens_are_401_after_logout(customer):
    client = APIClient()
    tokens = client.post("/api/login/", {"username": customer.user.username, "password": PASSWORD},
                         format="json").json()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert client.post("/api/logout/", {"refresh": tokens["refresh"]}, format="json").status_code == 200
    assert get_with(f"Bearer {tokens['access']}").status_code == 401
    assert get_with(f"Token {tokens['access']}").status_code == 401
    refreshed = APIClient().post("/api/token/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert refreshed.status_code == 401


def test_logout_cannot_revoke_someone_elses_refresh_token(customer, other_customer):
    theirs = issue_tokens(other_customer.user)["refresh"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_tokens(customer.user)['access']}")
    assert client.post("/api/logout/", {"refresh": theirs}, format="json").status_code == 400
    assert APIClient().post("/api/token/refresh/", {"refresh": theirs}, format="json").status_code == 200


def test_token_of_a_deactivated_user_is_401(customer):
    token = AccessToken.for_user(customer.user)
    customer.user.is_active = False
    customer.user.save()
    assert get_with(f"Bearer {token}").status_code == 401
    refresh = RefreshToken.for_user(customer.user)
    assert APIClient().post("/api/token/refresh/", {"refresh": str(refresh)}, format="json").status_code == 401


@pytest.mark.parametrize("header", [
    "Bearer", "Bearer ", "Bearer a.b.c", "Bearer not-a-jwt", "Bearer ....", "Bearer " + "A" * 5000,
    "Bearer eyJhbGciOiJIUzI1NiJ9.e30.", "Token", "Bearer x y", "JWT abc", "Basic dXNlcjpwYXNz",
    "Bearer \u00e9\u00e8", "Bearer %00",
])
def test_malformed_authorization_headers_are_401_not_500(customer, header):
    assert get_with(header).status_code == 401


def test_token_in_the_query_string_is_not_accepted(customer):
    token = AccessToken.for_user(customer.user)
    assert APIClient().get(f"{PRIVATE}?token={token}").status_code == 401
    assert APIClient().get(f"{PRIVATE}?access={token}").status_code == 401


def test_failed_login_says_the_same_for_unknown_users_and_wrong_passwords(customer):
    wrong_password = APIClient().post("/api/login/", {"username": customer.user.username, "password": "nope"},
                                      format="json")
    unknown_user = APIClient().post("/api/login/", {"username": "nobody-here", "password": "nope"}, format="json")
    assert wrong_password.status_code == unknown_user.status_code == 401
    assert wrong_password.json() == unknown_user.json()


def test_password_guessing_is_throttled_per_address_across_usernames(customer, settings):
    settings.LOGIN_FAILURES_PER_IP = 20
    client = APIClient()
    for n in range(20):
        assert client.post("/api/login/", {"username": f"guess{n}", "password": "x"},
                           format="json").status_code == 401
    # The right password for a real user, from the same address: still refused for now.
    response = client.post("/api/login/", {"username": customer.user.username, "password": PASSWORD}, format="json")
    assert response.status_code == 429
    # Another address is not affected.
    other = APIClient(REMOTE_ADDR="10.9.8.7")
    assert other.post("/api/login/", {"username": customer.user.username, "password": PASSWORD},
                      format="json").status_code == 200


def test_x_forwarded_for_does_not_pick_a_fresh_throttle_bucket(customer):
    """NUM_PROXIES=0: a client cannot dodge the per-address count by inventing addresses."""
    client = APIClient()
    for n in range(20):
        client.post("/api/login/", {"username": f"guess{n}", "password": "x"}, format="json",
                    HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    response = client.post("/api/login/", {"username": customer.user.username, "password": PASSWORD},
                           format="json", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert response.status_code == 429


@pytest.mark.parametrize("password, reason", [
    ("short1!", "too short"), ("password123", "too common"), ("12345678901", "entirely numeric"),
    ("mallory-the-user", "too similar"),
])
def test_register_refuses_weak_passwords(password, reason):
    response = APIClient().post("/api/register/", {
        "username": "mallory-the-user", "email": "m@example.com", "password": password, "confirm_password": password,
    }, format="json")
    assert response.status_code == 400
    assert reason in " ".join(response.json()["password"]).lower()


def test_production_hashes_passwords_with_argon2():
    from django.contrib.auth.hashers import Argon2PasswordHasher
    from django.utils.module_loading import import_string

    from bank_project import settings as production

    assert issubclass(import_string(production.PASSWORD_HASHERS[0]), Argon2PasswordHasher)
    assert production.SIMPLE_JWT["ALGORITHM"] == "HS256"


def test_session_authenticated_writes_need_the_csrf_token(customer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(customer.user)
    assert client.get(PRIVATE).status_code == 200  # reads work with the session
    response = client.post("/api/deposit/", {"amount": "10.00"}, content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    customer.account.refresh_from_db()
    assert customer.account.balance == 0


def test_password_change_needs_the_old_password(customer, customer_client):
    response = customer_client.put("/api/update-password/", {
        "old_password": "guess", "new_password": "Another-Secret-99", "confirm_password": "Another-Secret-99",
    }, format="json")
    assert response.status_code == 400
    assert APIClient().post("/api/login/", {"username": customer.user.username, "password": PASSWORD},
                            format="json").status_code == 200

