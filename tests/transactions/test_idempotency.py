"""Idempotency-Key on money-moving POSTs (IETF idempotency-key-header draft)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from bank_project.api.idempotency import purge_expired_keys
from payments.models import Payment
from tests.conftest import client_for
from tests.factories import fund
from transactions.models import IdempotencyKey, Transaction

pytestmark = pytest.mark.django_db


def transfer(client, recipient, amount="10.00", key="key-1"):
    return client.post("/api/balance-transfer/", {"amount": amount, "recipient_account_no": recipient},
                       format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_same_key_and_body_replays_without_moving_money(funded_customer, other_customer):
    client = client_for(funded_customer.user)
    first = transfer(client, other_customer.account.account_no)
    second = transfer(client, other_customer.account.account_no)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert Transaction.objects.filter(kind="transfer").count() == 1
    funded_customer.account.refresh_from_db()
    assert funded_customer.account.balance == Decimal("990.00")


def test_same_key_different_body_is_422(funded_customer, other_customer):
    client = client_for(funded_customer.user)
    transfer(client, other_customer.account.account_no)
    response = transfer(client, other_customer.account.account_no, amount="11.00")
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert Transaction.objects.filter(kind="transfer").count() == 1


def test_keys_are_per_user(funded_customer, other_customer):
    fund(other_customer, "100.00")
    transfer(client_for(funded_customer.user), other_customer.account.account_no)
    response = transfer(client_for(other_customer.user), funded_customer.account.account_no)
    assert response.status_code == 201 and "Idempotent-Replayed" not in response.headers
    assert Transaction.objects.filter(kind="transfer").count() == 2


def test_a_refused_request_stores_nothing_and_can_be_retried(customer, other_customer):
    client = client_for(customer.user)
    assert transfer(client, other_customer.account.account_no).status_code == 400  # no money yet
    assert not IdempotencyKey.objects.exists()
    fund(customer, "50.00")
    assert transfer(client, other_customer.account.account_no).status_code == 201


def test_expired_key_starts_afresh(funded_customer, other_customer):
    client = client_for(funded_customer.user)
    transfer(client, other_customer.account.account_no)
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
    response = transfer(client, other_customer.account.account_no, amount="12.00")
    assert response.status_code == 201
    assert Transaction.objects.filter(kind="transfer").count() == 2


def test_purge_removes_only_expired_keys(funded_customer, other_customer):
    client = client_for(funded_customer.user)
    transfer(client, other_customer.account.account_no, key="old")
    transfer(client, other_customer.account.account_no, key="new")
    IdempotencyKey.objects.filter(key="old").update(created_at=timezone.now() - timedelta(hours=25))
    assert purge_expired_keys() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


@pytest.mark.parametrize("key", ["", "x" * 256, "clé"])
def test_malformed_keys_are_400(funded_customer, other_customer, key):
    response = transfer(client_for(funded_customer.user), other_customer.account.account_no, key=key)
    assert response.status_code == 400
    assert Transaction.objects.filter(kind="transfer").count() == 0


def test_key_works_on_deposit_and_withdrawal(funded_customer):
    client = client_for(funded_customer.user)
    for path in ("/api/deposit/", "/api/withdrawal/"):
        for _ in range(3):
            response = client.post(path, {"amount": "5.00"}, format="json", HTTP_IDEMPOTENCY_KEY=f"k-{path}")
            assert response.status_code == 201
    assert Transaction.objects.filter(kind__in=["deposit", "withdrawal"]).count() == 2  # 1 funding + 1 withdrawal
    assert Payment.objects.count() == 1  # the customer's deposit: one gateway payment
