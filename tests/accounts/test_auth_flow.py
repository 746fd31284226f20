"""Registration, login, profiles and roles, on the brief's paths and the old client's."""

import pytest
from rest_framework.test import APIClient

from accounts.models import Customer, Manager, User
from tests.conftest import client_for
from tests.factories import PASSWORD, CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Brand-New-Secret-77"
PROFILE = {"mobile_no": "01712345678", "nid": "1987654321", "age": 34, "occupation": "Teacher",
           "monthly_income": "42000.00", "account_type": "SAVINGS"}


def _register_and_login(client, prefix_auth, username="alice"):
    response = client.post(f"{prefix_auth}/register/", {
        "username": username, "first_name": "Alice", "last_name": "Rahman", "email": f"{username}@example.com",
        "password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD,
    }, format="json")
    assert response.status_code == 201, response.content
    response = client.post(f"{prefix_auth}/login/", {"username": username, "password": NEW_PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.parametrize(
    "auth_prefix, account_prefix, header_type",
    [("/api", "/api", "Bearer"), ("/api/auth", "/api/account", "Token")],
)
def test_register_login_create_profile_then_list_holds_only_me(auth_prefix, account_prefix, header_type):
    CustomerFactory()  # someone else, who must not show up
    client = APIClient()
    login = _register_and_login(client, auth_prefix)
    assert set(login) >= {"access", "refresh", "token", "user_id", "role"}
    assert login["token"] != login["access"]  # the never-refreshed client token lives with its session
    assert login["role"] == "user"
    client.credentials(HTTP_AUTHORIZATION=f"{header_type} {login['token']}")

    profile = client.get(f"{auth_prefix}/update-profile/").json()
    assert {k: profile[k] for k in ("id", "email", "first_name", "last_name")} == {
        "id": login["user_id"], "email": "alice@example.com", "first_name": "Alice", "last_name": "Rahman"}

    created = client.post(f"{account_prefix}/customer/", PROFILE, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["user"] == login["user_id"]
    assert len(body["account_no"]) == 10 and body["balance"] == "0.00"

    listed = client.get(f"{account_prefix}/customer/").json()
    rows = listed if account_prefix == "/api/account" else listed["results"]
    assert [row["id"] for row in rows] == [body["id"]]
    for field in ("id", "user", "balance", "account_no", "mobile_no", "nid", "age", "monthly_income", "account_type"):
        assert field in rows[0]


def test_login_role_is_customer_or_manager(customer, manager):
    client = APIClient()
    for user, role in ((customer.user, "customer"), (manager.user, "manager")):
        response = client.post("/api/login/", {"username": user.username, "password": PASSWORD}, format="json")
        assert response.json()["role"] == role


def test_register_with_profile_fields_opens_the_account_in_the_same_call():
    response = APIClient().post("/api/register/", {
        "username": "bob", "password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD, **PROFILE,
    }, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["role"] == "customer"
    assert Customer.objects.get(user__username="bob").account.balance == 0


def test_register_refuses_bad_input_and_writes_nothing():
    client = APIClient()
    cases = [
        {},
        {"username": "x", "password": NEW_PASSWORD, "confirm_password": "different-Secret-1"},
        {"username": "x", "password": "123", "confirm_password": "123"},
        {"username": "bad name!", "password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
        {"username": "x", "password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD, "is_staff": True},
        {"username": "x", "password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD, "mobile_no": "12"},
        {"username": "x", "password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD, **PROFILE, "age": 12},
        {"username": "x", "password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD, **PROFILE, "nid": "abc"},
        {"username": ["x"], "password": 5, "confirm_password": None},
        {"username": "x" * 10_000, "password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
    ]
    for body in cases:
        response = client.post("/api/register/", body, format="json")
        assert response.status_code == 400, (body, response.content)
        assert isinstance(response.json(), dict)
    assert not User.objects.exists()


def test_register_refuses_a_taken_username(customer):
    response = APIClient().post("/api/register/", {
        "username": customer.user.username.upper(), "password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD,
    }, format="json")
    assert response.status_code == 400
    assert "username" in response.json()


def test_huge_body_is_refused_without_a_500():
    client = APIClient()
    response = client.post("/api/register/", {"username": "a" * (10 * 1024 * 1024)}, format="json")
    assert response.status_code in (400, 413)
    assert not User.objects.exists()


def test_malformed_json_is_a_400(customer_client):
    response = customer_client.generic("POST", "/api/withdrawal/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


def test_customer_gets_404_on_another_customers_profile(customer_client, other_customer):
    assert customer_client.get(f"/api/customer/{other_customer.pk}/").status_code == 404
    assert customer_client.patch(f"/api/customer/{other_customer.pk}/", {"age": 50}, format="json").status_code == 404


def test_customer_cannot_write_balance_account_no_or_owner(customer, customer_client, other_customer):
    before = customer.account.account_no
    response = customer_client.patch(f"/api/customer/{customer.pk}/", {
        "balance": "1000000.00", "account_no": "1234567897", "user": other_customer.user.pk, "occupation": "Pilot",
    }, format="json")
    assert response.status_code == 200, response.content
    customer.refresh_from_db()
    customer.account.refresh_from_db()
    assert customer.occupation == "Pilot"
    assert customer.account.balance == 0
    assert customer.account.account_no == before
    assert customer.user_id != other_customer.user.pk


def test_unknown_fields_are_refused(customer, customer_client):
    response = customer_client.patch(f"/api/customer/{customer.pk}/", {"is_staff": True}, format="json")
    assert response.status_code == 400
    assert "is_staff" in response.json()


def test_profile_creation_twice_is_refused(customer_client):
    response = customer_client.post("/api/customer/", {**PROFILE, "nid": "5555555555"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "profile_exists"


def test_duplicate_nid_is_a_400():
    CustomerFactory(nid="1987654321")
    client = client_for(UserFactory())
    response = client.post("/api/customer/", PROFILE, format="json")
    assert response.status_code == 400
    assert "nid" in response.json()


def test_customer_cannot_create_a_manager_and_sees_no_managers(customer_client, manager):
    target = UserFactory()
    response = customer_client.post("/api/manager/", {"user": target.pk, "mobile_no": "01811111111",
                                                       "nid": "3333333333", "age": 40}, format="json")
    assert response.status_code == 403
    assert not Manager.objects.filter(user=target).exists()
    assert customer_client.get("/api/manager/").json()["count"] == 0
    assert customer_client.get(f"/api/manager/{manager.pk}/").status_code == 404


def test_manager_lists_everyone_and_creates_a_manager(manager_client, manager):
    CustomerFactory.create_batch(3)
    assert manager_client.get("/api/customer/").json()["count"] == 3
    target = UserFactory()
    response = manager_client.post("/api/manager/", {"user": target.pk, "mobile_no": "01811111111",
                                                      "nid": "3333333333", "age": 40}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["user"] == target.pk
    assert manager_client.get("/api/manager/").json()["count"] == 2
    assert manager_client.get("/api/account/manager/").json()[0]["user"] == target.pk


def test_manager_cannot_give_a_second_profile(manager_client, customer):
    response = manager_client.post("/api/manager/", {"user": customer.user.pk, "mobile_no": "01811111111",
                                                      "nid": "3333333333", "age": 40}, format="json")
    assert response.status_code == 409
    assert not Manager.objects.filter(user=customer.user).exists()


def test_superuser_passes_manager_checks():
    admin = User.objects.create_superuser("root", "root@example.com", PASSWORD)
    CustomerFactory()
    assert client_for(admin).get("/api/customer/").json()["count"] == 1


def test_logout_revokes_access_and_refresh_tokens(customer):
    client = APIClient()
    tokens = client.post("/api/login/", {"username": customer.user.username, "password": PASSWORD},
                         format="json").json()
    client.credentials(HTTP_AUTHORIZATION=f"Token {tokens['token']}")
    assert client.get("/api/update-profile/").status_code == 200
    response = client.post("/api/logout/", {"refresh": tokens["refresh"]}, format="json")
    assert response.status_code == 200
    assert client.get("/api/update-profile/").status_code == 401
    refreshed = APIClient().post("/api/token/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert refreshed.status_code == 401


def test_logout_without_body_revokes_the_access_token(customer):
    client = client_for(customer.user)
    assert client.post("/api/auth/logout/").status_code == 200
    assert client.get("/api/update-profile/").status_code == 401


def test_refresh_gives_a_working_access_token(customer):
    tokens = APIClient().post("/api/login/", {"username": customer.user.username, "password": PASSWORD},
                              format="json").json()
    response = APIClient().post("/api/token/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert response.status_code == 200
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    assert client.get("/api/update-profile/").status_code == 200


def test_five_wrong_passwords_lock_that_username_for_a_while(customer):
    client = APIClient()
    for _ in range(5):
        response = client.post("/api/login/", {"username": customer.user.username, "password": "wrong"},
                               format="json")
        assert response.status_code == 401
    response = client.post("/api/login/", {"username": customer.user.username, "password": PASSWORD},
                           format="json")
    assert response.status_code == 429
    assert "Retry-After" in response.headers
    # Another user from the same address is not locked out by someone else's failures.
    other = CustomerFactory()
    response = client.post("/api/login/", {"username": other.user.username, "password": PASSWORD}, format="json")
    assert response.status_code == 200


def test_throttle_switch_off_lifts_the_login_limit(customer, settings):
    settings.API_THROTTLE = False
    client = APIClient()
    for _ in range(8):
        client.post("/api/login/", {"username": customer.user.username, "password": "wrong"}, format="json")
    response = client.post("/api/login/", {"username": customer.user.username, "password": PASSWORD},
                           format="json")
    assert response.status_code == 200


def test_update_profile_and_password(customer, customer_client):
    response = customer_client.patch("/api/update-profile/", {"first_name": "Nadia", "email": "n@example.com"},
                                     format="json")
    assert response.status_code == 200 and response.json()["first_name"] == "Nadia"
    response = customer_client.put("/api/update-profile/", {"username": "hacker", "email": "bad"}, format="json")
    assert response.status_code == 400
    customer.user.refresh_from_db()
    assert customer.user.username != "hacker"

    wrong = customer_client.put("/api/update-password/", {"old_password": "nope", "new_password": NEW_PASSWORD,
                                                          "confirm_password": NEW_PASSWORD}, format="json")
    assert wrong.status_code == 400 and wrong.json()["code"] == "wrong_password"
    weak = customer_client.put("/api/update-password/", {"old_password": PASSWORD, "new_password": "123",
                                                         "confirm_password": "123"}, format="json")
    assert weak.status_code == 400
    ok = customer_client.put("/api/update-password/", {"old_password": PASSWORD, "new_password": NEW_PASSWORD,
                                                       "confirm_password": NEW_PASSWORD}, format="json")
    assert ok.status_code == 200
    customer.user.refresh_from_db()
    assert customer.user.check_password(NEW_PASSWORD)


def test_anonymous_gets_401_on_private_endpoints(api_client):
    for path in ("/api/customer/", "/api/update-profile/", "/api/manager/", "/api/deposit/"):
        assert api_client.get(path).status_code == 401




def test_changing_the_password_ends_every_other_session_and_keeps_this_one(customer):
    def login():
        return APIClient().post("/api/login/", {"username": customer.user.username, "password": PASSWORD},
                                format="json").json()

    mine, other = login(), login()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {mine['token']}")
    response = client.put("/api/auth/update-password/", {"old_password": PASSWORD, "new_password": NEW_PASSWORD,
                                                          "confirm_password": NEW_PASSWORD}, format="json")
    assert response.status_code == 200
    fresh = response.json()
    assert fresh["session_id"] == mine["session_id"]
    assert client.get("/api/auth/update-profile/").status_code == 200  # the caller's token goes on
    theirs = APIClient()
    theirs.credentials(HTTP_AUTHORIZATION=f"Token {other['token']}")
    assert theirs.get("/api/auth/update-profile/").status_code == 401
    assert APIClient().post("/api/token/refresh/", {"refresh": other["refresh"]}, format="json").status_code == 401
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {fresh['access']}")
    assert client.get("/api/update-profile/").status_code == 200
    assert APIClient().post("/api/token/refresh/", {"refresh": fresh["refresh"]}, format="json").status_code == 200


def test_object_permission_still_guards_a_profile_if_scoping_were_loosened(monkeypatch, customer_client,
                                                                         other_customer):
    from accounts.views import CustomerDetailView

    monkeypatch.setattr(CustomerDetailView, "get_queryset", lambda self: Customer.objects.all())
    assert customer_client.get(f"/api/customer/{other_customer.pk}/").status_code == 403
