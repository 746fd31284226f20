"""Issue 11: every call of the existing web client (/work/shared/CLIENT.md) with its exact body,
on its old paths, with `Authorization: Token <token>`, asserting every field it reads.

Deposits by customers go through the payment gateway (issue 12: `payment_url`); this replay
funds the customer with a teller deposit instead and checks the deposit list the client reads.
"""

import pytest
from rest_framework.test import APIClient

from accounts.models import Customer, Manager
from services.services import create_service
from tests.factories import PASSWORD, ManagerFactory, UserFactory, fund

pytestmark = pytest.mark.django_db

SECRET = "Brand-New-Secret-77"
NEWER = "Even-Newer-Secret-88"
CUSTOMER_ROW = {"id", "user", "balance", "account_no", "mobile_no", "nid", "age", "monthly_income", "account_type",
                "image", "occupation", "religion"}
PARTY = ("name", "image", "account_type", "account_no", "mobile_no", "email")
CUSTOMER_DETAILS = {f"customer_{name}" for name in PARTY}


def token_client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def register_and_login(username: str, email: str) -> tuple[APIClient, dict]:
    anonymous = APIClient()
    response = anonymous.post("/api/auth/register/", {
        "username": username, "first_name": "Rahim", "last_name": "Uddin", "email": email,
        "password": SECRET, "confirm_password": SECRET}, format="json")
    assert 200 <= response.status_code < 300, response.content
    login = anonymous.post("/api/auth/login/", {"username": username, "password": SECRET}, format="json")
    assert login.status_code == 200
    body = login.json()
    assert body["token"] and isinstance(body["user_id"], int)
    return token_client(body["token"]), body


def manager_client() -> APIClient:
    manager = ManagerFactory()
    login = APIClient().post("/api/auth/login/", {"username": manager.user.username, "password": PASSWORD},
                             format="json")
    return token_client(login.json()["token"])


def test_the_web_client_end_to_end():
    client, login = register_and_login("rahim", "rahim@example.com")

    # Profile.
    me = client.get("/api/auth/update-profile/").json()
    assert {"id", "username", "email", "first_name", "last_name"} <= set(me) and me["id"] == login["user_id"]
    patched = client.patch("/api/auth/update-profile/", {"email": "r@example.com", "first_name": "Rahim",
                                                          "last_name": "Khan"}, format="json")
    assert patched.status_code == 200

    # The customer form, exactly as the client sends it.
    response = client.post("/api/account/customer/", {
        "mobile_no": "01712345678", "nid": "1987654321", "age": 34, "monthly_income": 42000,
        "account_type": "SAVINGS", "religion": "ISLAM", "image": "", "occupation": "Teacher"}, format="json")
    assert response.status_code == 201, response.content
    for path in ("/api/account/customer", "/api/account/customer/"):
        rows = client.get(path, follow=True).json()
        assert isinstance(rows, list) and len(rows) == 1 and CUSTOMER_ROW <= set(rows[0])
        assert rows[0]["account_type"] == "SAVINGS" and rows[0]["religion"] == "ISLAM"
    me_as_customer = rows[0]
    for path in ("/api/account/manager", "/api/account/manager/"):
        assert isinstance(client.get(path, follow=True).json(), list)

    # Money: funded at the counter (the client's own deposit is the gateway's, issue 12).
    customer = Customer.objects.get(pk=me_as_customer["id"])
    fund(customer, "30000.00")
    deposits = client.get("/api/transactions/deposit/").json()
    assert isinstance(deposits, list) and {"id", "amount", "timestamp"} <= set(deposits[0])
    assert client.post("/api/transactions/withdrawal/", {"amount": 1000}, format="json").status_code == 201
    withdrawals = client.get("/api/transactions/withdrawal/").json()
    assert {"id", "amount", "timestamp"} <= set(withdrawals[0])

    _, friend_login = register_and_login("karim", "karim@example.com")
    friend = token_client(friend_login["token"])
    friend.post("/api/account/customer/", {
        "mobile_no": "01712345679", "nid": "1987654322", "age": 30, "monthly_income": 30000,
        "account_type": "checking", "religion": "judaism", "image": "", "occupation": "Driver"}, format="json")
    friend_account = friend.get("/api/account/customer/").json()[0]["account_no"]
    assert friend.get("/api/account/customer/").json()[0]["religion"] == "JUDAISM"
    response = client.post("/api/transactions/balance-transfer/",
                           {"recipient_account_no": friend_account, "amount": 2500}, format="json")
    assert response.status_code == 201, response.content
    transfer = client.get("/api/transactions/balance-transfer/").json()[0]
    assert {"id", "sender", "recipient_account_no", "recipient_name", "amount", "timestamp"} <= set(transfer)
    received = friend.get("/api/transactions/balance-transfer/").json()[0]
    for name in ("image", "mobile_no", "email"):
        assert f"sender_{name}" not in received and f"recipient_{name}" not in received

    # Loans.
    assert client.post("/api/transactions/loans/", {"amount_requested": 20000}, format="json").status_code == 201
    assert client.post("/api/transactions/loans/", {"amount_requested": 5000}, format="json").status_code == 201
    loans = client.get("/api/transactions/loans/").json()
    assert {"id", "amount_requested", "amount_approved", "status", "request_date"} <= set(loans[0])
    boss = manager_client()
    approve = boss.post(f"/api/transactions/loans/{loans[1]['id']}/approve/", {"amount_approved": 1000},
                        format="json")
    assert approve.status_code == 200, approve.content
    assert boss.post(f"/api/transactions/loans/{loans[0]['id']}/reject/").status_code == 200
    repay = client.post(f"/api/transactions/loans/{loans[1]['id']}/repay/", {"amount": 100}, format="json")
    assert repay.status_code == 200, repay.content

    # The manager's pages.
    for path in ("/api/transactions/deposit/", "/api/transactions/withdrawal/", "/api/transactions/loans/"):
        rows = boss.get(path).json()
        assert rows and all(CUSTOMER_DETAILS <= set(row) for row in rows), path
    row = boss.get("/api/transactions/balance-transfer/").json()[0]
    assert {f"{party}_{name}" for party in ("sender", "recipient") for name in PARTY} <= set(row)
    assert row["recipient_email"] == "karim@example.com"

    # The public pages.
    create_service(name="Home loans", static_image="services/loans.svg")
    services = APIClient().get("/api/services/").json()
    assert isinstance(services, list) and {"id", "name", "description", "image"} <= set(services[0])
    assert services[0]["image"].startswith("http")
    assert APIClient().post("/api/contact/", {"name": "Visitor", "email": "v@example.com", "phone": "01712345678",
                                              "service_interested": "Home Loan", "message": "Call me"},
                            format="json").status_code == 201

    # Password change: the client keeps using the token it has.
    response = client.put("/api/auth/update-password/", {"old_password": SECRET, "new_password": NEWER,
                                                          "confirm_password": NEWER}, format="json")
    assert response.status_code == 200
    assert client.get("/api/auth/update-profile/").status_code == 200

    # Logout: 200 JSON, then the token is dead; logging out again still 200.
    response = client.post("/api/auth/logout/")
    assert response.status_code == 200 and response.json()["detail"]
    assert client.get("/api/auth/update-profile/").status_code == 401
    assert client.post("/api/auth/logout/").status_code == 200


def test_the_manager_form_of_a_fresh_user_is_accepted_as_an_application():
    client, login = register_and_login("nadia", "nadia@example.com")
    response = client.post("/api/account/manager/", {"mobile_no": "01712345670", "nid": "1987654329", "age": 41,
                                                     "religion": "ISLAM", "image": ""}, format="json")
    assert response.status_code == 202 and response.json()["status"] == "pending"
    assert not Manager.objects.filter(user_id=login["user_id"]).exists()


def test_errors_a_person_reads(db):
    UserFactory(username="rahim")
    response = APIClient().post("/api/auth/login/", {"username": "rahim", "password": "wrong"}, format="json")
    assert response.status_code == 401
    assert all("invalid_credentials" not in str(value) for value in response.json().values())
