"""The web client's deposit, end to end: POST deposit -> payment_url -> sandbox page -> Pay ->
redirect -> balance; on both path sets, with Idempotency-Key; teller deposits stay immediate."""

from decimal import Decimal

import pytest
from django.test import Client

from payments.models import Payment
from tests.conftest import client_for
from tests.helpers import balance
from transactions.models import Account, Transaction

from .conftest import clearing_balance

pytestmark = pytest.mark.django_db
FRONTEND = "http://localhost:3000"


def local(url):
    assert url.startswith("http://testserver/"), url
    return url.removeprefix("http://testserver")


@pytest.mark.parametrize("path", ["/api/transactions/deposit/", "/api/deposit/"])
def test_the_clients_deposit_flow(customer, path):
    client = client_for(customer.user)
    response = client.post(path, {"amount": 5000}, format="json")  # a JSON number, as the client sends
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "pending" and body["amount"] == "5000.00" and body["currency"] == "BDT"
    assert body["payment_url"].startswith("http://testserver/payments/sandbox/")
    assert set(body) >= {"id", "status", "amount", "currency", "payment_url"}
    assert balance(customer) == 0 and not Transaction.objects.exists()

    browser = Client()  # the browser follows payment_url with no token
    page = browser.get(local(body["payment_url"]))
    assert page.status_code == 200 and "5,000.00" in page.content.decode()
    paid = browser.post(local(body["payment_url"]), {"outcome": "success"})
    assert paid.status_code == 302 and paid["Location"] == f"{FRONTEND}/transaction?status=success"
    assert balance(customer) == Decimal("5000.00")

    assert browser.post(local(body["payment_url"]), {"outcome": "success"}).status_code == 302  # again
    assert balance(customer) == Decimal("5000.00")
    assert client.get(f"/api/payments/{body['id']}/").json()["status"] == "completed"
    assert clearing_balance() == Decimal("-5000.00")


def test_cancel_and_fail_on_other_payments_credit_nothing(customer):
    client = client_for(customer.user)
    for outcome, target in (("cancel", "/cancel?status=cancelled"), ("fail", "/fail?status=failed")):
        url = client.post("/api/transactions/deposit/", {"amount": 100}, format="json").json()["payment_url"]
        response = Client().post(local(url), {"outcome": outcome})
        assert response.status_code == 302 and response["Location"] == FRONTEND + target
    assert balance(customer) == 0
    assert sorted(Payment.objects.values_list("status", flat=True)) == ["cancelled", "failed"]


def test_a_retry_with_the_same_idempotency_key_returns_the_same_payment(customer):
    client = client_for(customer.user)
    first = client.post("/api/deposit/", {"amount": "50.00"}, format="json", HTTP_IDEMPOTENCY_KEY="dep-1")
    second = client.post("/api/deposit/", {"amount": "50.00"}, format="json", HTTP_IDEMPOTENCY_KEY="dep-1")
    assert first.status_code == second.status_code == 201 and first.json() == second.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert Payment.objects.count() == 1
    other = client.post("/api/deposit/", {"amount": "51.00"}, format="json", HTTP_IDEMPOTENCY_KEY="dep-1")
    assert other.status_code == 422 and Payment.objects.count() == 1


def test_a_managers_teller_deposit_is_credited_at_once(customer, manager_client):
    response = manager_client.post(
        "/api/deposit/", {"amount": "70.00", "account_no": customer.account.account_no}, format="json"
    )
    assert response.status_code == 201 and response.json()["balance"] == "70.00"
    assert balance(customer) == Decimal("70.00") and not Payment.objects.exists()
    assert Transaction.objects.get().source.code == Account.CASH


def test_without_a_gateway_a_customers_deposit_is_503_and_a_teller_deposit_works(customer, manager_client, settings):
    settings.PAYMENT_GATEWAY = ""
    response = client_for(customer.user).post("/api/transactions/deposit/", {"amount": 5000}, format="json")
    assert response.status_code == 503
    assert "not available" in response.json()["detail"]
    assert not Payment.objects.exists()
    teller = manager_client.post(
        "/api/deposit/", {"amount": "70.00", "account_no": customer.account.account_no}, format="json"
    )
    assert teller.status_code == 201 and balance(customer) == Decimal("70.00")


def test_a_customer_naming_their_own_account_also_pays_through_the_gateway(customer):
    response = client_for(customer.user).post(
        "/api/deposit/", {"amount": "20.00", "account_no": customer.account.account_no}, format="json"
    )
    assert response.status_code == 201 and response.json()["status"] == "pending"
    assert balance(customer) == 0


def test_bad_amounts_start_no_payment(customer):
    client = client_for(customer.user)
    for amount in (0, -5, "1.001", "abc", "1e100000"):
        assert client.post("/api/deposit/", {"amount": amount}, format="json").status_code == 400
    assert not Payment.objects.exists()


def test_deposit_history_shows_each_deposits_status_and_payment(customer, manager):
    from payments import services
    from payments.gateways.sandbox import SandboxGateway
    from transactions import services as ledger

    client = client_for(customer.user)
    body = client.post("/api/deposit/", {"amount": "30.00"}, format="json").json()
    payment = Payment.objects.get(pk=body["id"])
    services.handle_notification(gateway_name="sandbox", data=SandboxGateway().notification_for(payment, "success"))
    ledger.deposit(account=customer.account, amount=Decimal("5.00"), performed_by=manager.user)
    rows = client.get("/api/deposit/").json()["results"]
    assert [(row["amount"], row["status"], row["payment"]) for row in rows] == [
        ("5.00", "completed", None), ("30.00", "completed", payment.pk),
    ]


def test_a_frozen_account_starts_no_payment(customer, manager):
    from transactions import services as ledger

    ledger.freeze(account=customer.account, performed_by=manager.user)
    response = client_for(customer.user).post("/api/deposit/", {"amount": "20.00"}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "account_frozen"
    assert not Payment.objects.exists()
