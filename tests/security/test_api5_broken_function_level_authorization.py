"""API5:2023 Broken Function Level Authorization.

Every manager-only operation called by a customer (403) and anonymously (401), on the
brief's paths and the old client's; every customer-only operation called by a manager
(403). Nothing changes on a refused call. A control shows the manager gets through.
"""

import pytest
from rest_framework.test import APIClient

from accounts.models import Manager
from loans.models import Loan
from services.models import Service
from tests.conftest import approve, client_for
from tests.factories import ManagerFactory
from tests.helpers import call, snapshot
from transactions.models import Transaction

pytestmark = pytest.mark.django_db


def manager_only(bank):
    """(method, path, body): operations only a manager may perform."""
    acct, loan, tx = bank.bob.account.account_no, bank.bob_pending.pk, bank.bob_transfer.pk
    new_user = bank.new_user.pk
    return [
        ("post", "/api/manager/", {"user": new_user, "mobile_no": "01811111111", "nid": "2111111111", "age": 40}),
        ("post", "/api/account/manager/", {"user": new_user, "mobile_no": "01811111111", "nid": "2111111111",
                                           "age": 40}),
        ("patch", f"/api/manager/{bank.manager.pk}/", {"age": 99}),
        ("post", f"/api/transactions/{tx}/reverse/", {"reason": "mine now"}),
        ("post", f"/api/accounts/{acct}/freeze/", {}),
        ("post", f"/api/accounts/{acct}/unfreeze/", {}),
        ("post", f"/api/loans/{loan}/approve/", {"amount_approved": "1000.00"}),
        ("post", f"/api/loans/{loan}/reject/", {"reason": "no"}),
        ("post", f"/api/transactions/loans/{loan}/approve/", {"amount_approved": "1000.00"}),
        ("post", f"/api/transactions/loans/{loan}/reject/", {"reason": "no"}),
        ("get", "/api/contact/", None),
        ("get", f"/api/contact/{bank.message.pk}/", None),
        ("post", f"/api/contact/{bank.message.pk}/handle/", {}),
        ("post", "/api/services/", {"name": "Free money", "description": "x"}),
        ("put", f"/api/services/{bank.service.pk}/", {"name": "Renamed", "description": "x"}),
        ("patch", f"/api/services/{bank.service.pk}/", {"is_active": False}),
        ("delete", f"/api/services/{bank.service.pk}/", None),
    ]


def customer_only(bank):
    loan = bank.bob_approved.pk
    return [
        ("post", "/api/withdrawal/", {"amount": "10.00"}),
        ("post", "/api/balance-transfer/", {"amount": "10.00", "recipient_account_no": bank.alice.account.account_no}),
        ("post", "/api/loans/", {"amount_requested": "100.00"}),
        ("post", f"/api/loans/{loan}/repay/", {"amount": "10.00"}),
        ("post", f"/api/loans/{bank.bob_pending.pk}/cancel/", {}),
    ]


@pytest.fixture
def bank(bank):
    from tests.factories import UserFactory

    bank.new_user = UserFactory()  # a user with no profile: what POST /api/manager/ would promote
    return bank


def test_customer_gets_403_on_every_manager_operation_and_nothing_changes(bank):
    before = snapshot()
    for method, path, body in manager_only(bank):
        response = call(bank.alice_client, method, path, body)
        expected = (403, 404) if path.startswith("/api/manager/") and method == "patch" else (403,)
        assert response.status_code in expected, f"{method.upper()} {path}: {response.status_code}"
        assert response.json()["detail"]
    assert snapshot() == before


def test_anonymous_gets_401_on_every_manager_operation_and_nothing_changes(bank):
    before = snapshot()
    for method, path, body in manager_only(bank):
        response = call(APIClient(), method, path, body)
        assert response.status_code == 401, f"{method.upper()} {path}: {response.status_code}"
        assert response["WWW-Authenticate"].startswith("Bearer")
    assert snapshot() == before


def test_manager_gets_403_on_customer_only_operations(bank):
    before = snapshot()
    for method, path, body in customer_only(bank):
        response = call(bank.manager_client, method, path, body)
        assert response.status_code == 403, f"{method.upper()} {path}: {response.status_code}"
    assert snapshot() == before


def test_a_user_without_profile_can_do_nothing_with_money(bank):
    from tests.conftest import client_for

    client = client_for(bank.new_user)
    for method, path, body in customer_only(bank) + [("post", "/api/deposit/", {"amount": "10.00"}),
                                                     ("get", "/api/transactions/", None),
                                                     ("get", "/api/statement/", None)]:
        assert call(client, method, path, body).status_code in (403, 404), path


def test_the_manager_gets_through_every_manager_operation(bank):
    """The control: the refusals above are about the role, not broken routes. Each
    operation once, on the brief's path (the old paths mount the same views); the loan is
    approved, so it is not rejected too. Four eyes: the reversal and the unfreeze wait (202)
    for a second manager, who approves them."""
    ok = {"get": 200, "post": (200, 201, 202), "put": 200, "patch": 200, "delete": 204}
    checker = client_for(ManagerFactory().user)
    for method, path, body in manager_only(bank):
        if path.startswith(("/api/account/", "/api/transactions/loans/")) or path.endswith("/reject/"):
            continue
        response = call(bank.manager_client, method, path, body)
        expected = ok[method] if isinstance(ok[method], tuple) else (ok[method],)
        assert response.status_code in expected, f"{method.upper()} {path}: {response.content}"
        if response.status_code == 202:
            approve(checker, response)
    assert Manager.objects.filter(user=bank.new_user).exists()
    assert Loan.objects.get(pk=bank.bob_pending.pk).status == "approved"
    assert Transaction.objects.filter(kind="reversal").exists()
    assert not Service.objects.filter(pk=bank.service.pk).exists()
