"""API3:2023 Broken Object Property Level Authorization.

Mass assignment: a client that sends `balance`, `status`, `account_no`, `user`,
`is_staff`, `is_superuser`, interest rates or decisions gets them either refused (400,
"Unknown field") or ignored (read-only), and never stored. Excessive exposure: no response
carries a password hash, staff flags or another customer's balance.
"""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from loans.models import Loan
from tests.conftest import client_for
from transactions.models import Account

pytestmark = pytest.mark.django_db

PRIVILEGES = {"is_staff": True, "is_superuser": True, "is_active": False, "role": "manager"}


def assert_not_privileged(user):
    user.refresh_from_db()
    assert not user.is_staff and not user.is_superuser and user.is_active
    assert not hasattr(user, "manager")


def test_register_with_privilege_flags_is_refused_and_nothing_is_created():
    body = {"username": "mallory", "password": "Sneaky-Pass-42", "confirm_password": "Sneaky-Pass-42",
            "email": "m@example.com", **PRIVILEGES, "balance": "1000000.00", "account_no": "1234567897"}
    response = APIClient().post("/api/register/", body, format="json")
    assert response.status_code == 400
    assert set(response.json()) >= {"is_staff", "is_superuser", "balance", "account_no"}
    assert not User.objects.filter(username="mallory").exists()


def test_update_profile_ignores_or_refuses_identity_and_privilege_fields(customer, customer_client):
    original_username = customer.user.username
    for body in ({"username": "renamed"}, {"id": 9999}, PRIVILEGES, {"password": "x"}):
        response = customer_client.patch("/api/update-profile/", body, format="json")
        assert response.status_code in (200, 400), body
        customer.user.refresh_from_db()
        assert customer.user.username == original_username
        assert customer.user.pk != 9999
        assert_not_privileged(customer.user)
    response = customer_client.put("/api/update-profile/", {"first_name": "New", "last_name": "Name",
                                                            "email": "new@example.com", **PRIVILEGES}, format="json")
    assert response.status_code == 400
    assert_not_privileged(customer.user)


@pytest.mark.parametrize("path", ["/api/customer/{pk}/", "/api/account/customer/{pk}/"])
@pytest.mark.parametrize("field, value", [
    ("balance", "1000000.00"), ("account_no", "1234567897"), ("user", 1), ("account_status", "active"),
    ("id", 777), ("created_at", "2000-01-01T00:00:00Z"), ("username", "root"),
])
def test_customer_profile_read_only_fields_are_never_stored(funded_customer, other_customer, path, field, value):
    client = client_for(funded_customer.user)
    account_before = Account.objects.values("account_no", "balance", "status", "customer_id").get(
        pk=funded_customer.account.pk)
    if field == "user":
        value = other_customer.user.pk
    response = client.patch(path.format(pk=funded_customer.pk), {field: value, "occupation": "Pilot"}, format="json")
    assert response.status_code in (200, 400)
    funded_customer.refresh_from_db()
    assert funded_customer.user_id != other_customer.user.pk
    assert funded_customer.pk != 777
    assert Account.objects.values("account_no", "balance", "status", "customer_id").get(
        pk=funded_customer.account.pk) == account_before
    assert funded_customer.user.username != "root"


def test_manager_cannot_set_a_balance_through_the_profile_either(manager_client, funded_customer):
    response = manager_client.patch(f"/api/customer/{funded_customer.pk}/", {"balance": "0.00"}, format="json")
    assert response.status_code in (200, 400)
    funded_customer.account.refresh_from_db()
    assert funded_customer.account.balance == Decimal("1000.00")


def test_loan_request_cannot_choose_its_status_rate_or_approval(customer, customer_client):
    body = {"amount_requested": "1000.00", "term_months": 12, "status": "approved", "amount_approved": "1000000.00",
            "annual_interest_rate": "0.00", "customer": 1, "decided_by": 1}
    response = customer_client.post("/api/loans/", body, format="json")
    assert response.status_code == 400
    assert {"status", "amount_approved", "annual_interest_rate"} <= set(response.json())
    assert not Loan.objects.exists()

    response = customer_client.post("/api/loans/", {"amount_requested": "1000.00"}, format="json")
    assert response.status_code == 201
    loan = Loan.objects.get()
    assert loan.status == Loan.Status.PENDING and loan.amount_approved is None and loan.disbursement is None


@pytest.mark.parametrize("path, body", [
    ("/api/deposit/", {"amount": "10.00", "balance": "999999.00"}),
    ("/api/deposit/", {"amount": "10.00", "performed_by": 1}),
    ("/api/withdrawal/", {"amount": "10.00", "source": 1}),
    ("/api/balance-transfer/", {"amount": "10.00", "recipient_account_no": "{other}", "sender": "{other}"}),
    ("/api/balance-transfer/", {"amount": "10.00", "recipient_account_no": "{other}", "kind": "deposit"}),
])
def test_money_movements_refuse_extra_fields_and_move_nothing(funded_customer, other_customer, path, body):
    body = {key: (value.format(other=other_customer.account.account_no) if isinstance(value, str) else value)
            for key, value in body.items()}
    response = client_for(funded_customer.user).post(path, body, format="json")
    assert response.status_code == 400
    funded_customer.account.refresh_from_db()
    other_customer.account.refresh_from_db()
    assert funded_customer.account.balance == Decimal("1000.00")
    assert other_customer.account.balance == Decimal("0.00")


def test_manager_creation_cannot_smuggle_staff_flags(manager_client):
    target = User.objects.create_user("future-manager", password="Whatever-Pass-1")
    body = {"user": target.pk, "mobile_no": "01811111111", "nid": "2111111111", "age": 40, "is_superuser": True}
    response = manager_client.post("/api/manager/", body, format="json")
    assert response.status_code == 400
    target.refresh_from_db()
    assert not target.is_superuser and not hasattr(target, "manager")


SECRETS = ("password", "pbkdf2", "argon2", "md5$", "is_staff", "is_superuser", "last_login")


@pytest.mark.parametrize("path", [
    "/api/update-profile/", "/api/customer/", "/api/customer/{pk}/", "/api/manager/", "/api/accounts/",
    "/api/transactions/", "/api/loans/",
])
def test_responses_never_carry_password_hashes_or_staff_flags(funded_customer, manager_client, path):
    for client in (client_for(funded_customer.user), manager_client):
        response = client.get(path.format(pk=funded_customer.pk))
        assert response.status_code == 200, path
        text = response.content.decode().lower()
        for secret in SECRETS:
            assert secret not in text, (path, secret)


def test_login_and_register_responses_carry_no_password(customer):
    response = APIClient().post("/api/login/", {"username": customer.user.username, "password": "Correct-Horse-42"},
                                format="json")
    assert response.status_code == 200
    assert "Correct-Horse-42" not in response.content.decode()
    response = APIClient().post("/api/register/", {"username": "newbie", "password": "Fresh-Pass-77",
                                                    "confirm_password": "Fresh-Pass-77"}, format="json")
    assert response.status_code == 201
    assert "Fresh-Pass-77" not in response.content.decode()
    assert "password" not in response.json()


def test_transfer_row_shows_the_recipients_name_but_never_their_balance(funded_customer, other_customer):
    response = client_for(funded_customer.user).post(
        "/api/balance-transfer/", {"amount": "10.00", "recipient_account_no": other_customer.account.account_no},
        format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["balance"] == "990.00"  # the sender's own balance
    assert "10.00" not in {value for key, value in body.items() if key != "amount"}  # recipient's balance is 10.00
