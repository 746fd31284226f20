"""Exactly once, whatever arrives and in what order: the sandbox's signed notifications,
retries, replays, browser returns and expiry (the ledger audit runs after each test)."""

import logging
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from payments import services
from payments.errors import InvalidSignature, PaymentMismatch, PaymentNotCreditable, PaymentNotFound
from payments.gateways import CANCELLED, FAILED, SUCCESS
from payments.gateways.sandbox import SandboxGateway
from payments.models import Payment
from tests.helpers import balance
from transactions import services as ledger
from transactions.models import Transaction

from .conftest import clearing_balance, start

pytestmark = pytest.mark.django_db
sandbox = SandboxGateway()


def notify(payment, status=SUCCESS, **changes):
    data = {**sandbox.notification_for(payment, status), **changes}
    return services.handle_notification(gateway_name="sandbox", data=data)



def test_starting_a_payment_moves_no_money(customer):
    payment = start(customer)
    assert payment.status == "pending" and payment.amount == Decimal("5000.00") and payment.currency == "BDT"
    assert payment.payment_url.startswith("http://testserver/payments/sandbox/")
    assert payment.expires_at > timezone.now() + timedelta(minutes=29)
    assert balance(customer) == 0 and not Transaction.objects.exists()


def test_a_verified_success_credits_once_from_gateway_clearing(customer):
    payment = notify(start(customer))
    assert payment.status == "completed" and payment.completed_at is not None
    assert balance(customer) == Decimal("5000.00")
    assert clearing_balance() == Decimal("-5000.00")
    tx = payment.transaction
    assert tx.kind == "deposit" and tx.source.code == "gateway_clearing" and tx.destination == customer.account


def test_the_same_notification_retried_credits_nothing_more(customer):
    payment = start(customer)
    message = sandbox.notification_for(payment, SUCCESS)
    for _ in range(3):
        services.handle_notification(gateway_name="sandbox", data=dict(message))
    assert balance(customer) == Decimal("5000.00")
    assert Transaction.objects.count() == 1


def test_a_second_differently_worded_success_credits_nothing_more(customer):
    payment = start(customer)
    notify(payment)
    notify(payment)  # a fresh transaction id, same payment
    assert balance(customer) == Decimal("5000.00") and Transaction.objects.count() == 1


def test_failure_then_success_in_the_same_session_credits_once(customer):
    """A declined card, then a good one at the same checkout."""
    payment = start(customer)
    assert notify(payment, FAILED).status == "failed"
    assert notify(payment, SUCCESS).status == "completed"
    assert balance(customer) == Decimal("5000.00")


@pytest.mark.parametrize("status", [FAILED, CANCELLED])
def test_failure_or_cancellation_after_completion_changes_nothing(customer, status):
    payment = start(customer)
    notify(payment)
    assert notify(payment, status).status == "completed"
    assert balance(customer) == Decimal("5000.00")


@pytest.mark.parametrize("status, expected", [(FAILED, "failed"), (CANCELLED, "cancelled")])
def test_failure_and_cancellation_credit_nothing(customer, status, expected):
    payment = notify(start(customer), status)
    assert payment.status == expected and payment.transaction is None
    assert balance(customer) == 0


def test_notification_after_expiry_still_credits_and_is_logged(customer, caplog):
    payment = start(customer)
    services.expire(payment=payment, now=payment.expires_at + timedelta(seconds=1))
    payment.refresh_from_db()
    assert payment.status == "expired"
    with caplog.at_level(logging.WARNING, logger="bank.payments"):
        payment = notify(payment)
    assert payment.status == "completed" and "expired" in payment.status_detail
    assert balance(customer) == Decimal("5000.00")
    assert any("was expired" in record.getMessage() for record in caplog.records)


def test_expiry_after_completion_changes_nothing(customer):
    payment = notify(start(customer))
    assert services.expire(payment=payment, now=payment.expires_at + timedelta(hours=1)).status == "completed"


def test_expiry_before_its_time_changes_nothing(customer):
    payment = start(customer)
    assert services.expire(payment=payment).status == "pending"


def test_a_forged_signature_is_refused_and_logged(customer, caplog):
    payment = start(customer)
    with caplog.at_level(logging.WARNING, logger="bank.payments"), pytest.raises(InvalidSignature):
        notify(payment, signature="0" * 64)
    assert balance(customer) == 0 and Payment.objects.get().status == "pending"
    assert any("refused" in record.getMessage() for record in caplog.records)


def test_a_signed_message_with_an_edited_amount_no_longer_verifies(customer):
    payment = start(customer, "10.00")
    with pytest.raises(InvalidSignature):
        notify(payment, amount="10000.00")
    assert balance(customer) == 0


def test_a_wrong_amount_is_refused_and_credits_nothing(customer, caplog):
    """Even correctly signed: the payment's amount is the truth."""
    payment = start(customer, "100.00")
    Payment.objects.filter(pk=payment.pk).update(amount=Decimal("99.00"))  # what the gateway was asked for differs
    with caplog.at_level(logging.WARNING, logger="bank.payments"), pytest.raises(PaymentMismatch):
        notify(payment)
    assert balance(customer) == 0 and Payment.objects.get().status == "pending"
    assert any("nothing credited" in record.getMessage() for record in caplog.records)


def test_a_wrong_currency_is_refused(customer):
    payment = start(customer)
    Payment.objects.filter(pk=payment.pk).update(currency="USD")
    with pytest.raises(PaymentMismatch):
        notify(payment)
    assert balance(customer) == 0


def test_an_unknown_payment_is_refused(customer):
    payment = start(customer)
    payment.reference = "PAYDOESNOTEXIST"
    with pytest.raises(PaymentNotFound):
        notify(payment)
    assert balance(customer) == 0


def test_a_frozen_account_is_not_credited_and_the_payment_waits(customer, manager):
    payment = start(customer)
    ledger.freeze(account=customer.account, performed_by=manager.user)
    with pytest.raises(PaymentNotCreditable):
        notify(payment)
    assert Payment.objects.get().status == "pending" and balance(customer) == 0
    ledger.unfreeze(account=customer.account, performed_by=manager.user)
    assert notify(payment).status == "completed"


def test_reconcile_expires_overdue_payments_and_keeps_the_rest(customer):
    overdue, fresh = start(customer), start(customer)
    Payment.objects.filter(pk=overdue.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    counts = services.reconcile()
    assert counts["checked"] == 2 and counts["expired"] == 1
    assert Payment.objects.get(pk=overdue.pk).status == "expired"
    assert Payment.objects.get(pk=fresh.pk).status == "pending"


def test_the_database_refuses_a_completed_payment_without_its_ledger_deposit(customer):
    from django.db import IntegrityError, transaction

    payment = start(customer)
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.filter(pk=payment.pk).update(status="completed", completed_at=timezone.now())
