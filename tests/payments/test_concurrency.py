"""Notifications arriving at the same moment, on PostgreSQL (real row locks): one credit.

transaction=True: each thread has its own connection and really commits.
"""

from datetime import timedelta
from decimal import Decimal

import pytest

from audit.models import Action, AuditEvent
from payments import services
from payments.gateways import SUCCESS
from payments.gateways.sandbox import SandboxGateway
from payments.models import Payment
from tests.factories import CustomerFactory, ManagerFactory
from tests.loans.test_concurrency import at_once as start_together
from transactions.models import Transaction

from .conftest import held, start

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
WORKERS = 12


def at_once(calls):
    """The calls started together (tests.loans' barrier helper); an exception is a result."""

    def outcome(call):
        try:
            return call()
        except Exception as exc:  # what happened is what the tests assert on
            return exc

    return start_together([lambda call=call: outcome(call) for call in calls])


def test_the_same_notification_twelve_times_at_once_credits_once():
    customer = CustomerFactory()
    payment = start(customer)
    message = SandboxGateway().notification_for(payment, SUCCESS)
    results = at_once([
        lambda: services.handle_notification(gateway_name="sandbox", data=dict(message)) for _ in range(WORKERS)
    ])
    assert all(isinstance(result, Payment) and result.status == "completed" for result in results), results
    customer.account.refresh_from_db()
    assert customer.account.balance == Decimal("5000.00")
    assert Transaction.objects.filter(kind="deposit").count() == 1


def test_notification_expiry_and_reconciliation_at_once_credit_once():
    customer = CustomerFactory()
    payment = start(customer)
    late = payment.expires_at + timedelta(seconds=1)
    message = SandboxGateway().notification_for(payment, SUCCESS)
    calls = []
    for _ in range(4):
        calls += [
            lambda: services.handle_notification(gateway_name="sandbox", data=dict(message)),
            lambda: services.expire(payment=payment, now=late),
            lambda: services.reconcile(now=late),
        ]
    results = at_once(calls)
    assert not [result for result in results if isinstance(result, Exception)], results
    payment.refresh_from_db()
    assert payment.status == "completed"
    customer.account.refresh_from_db()
    assert customer.account.balance == Decimal("5000.00")
    assert Transaction.objects.filter(kind="deposit").count() == 1


def test_many_payments_of_many_customers_settled_at_once_each_credit_once():
    customers = [CustomerFactory() for _ in range(4)]
    payments = [start(customer, "10.00") for customer in customers for _ in range(3)]
    messages = [SandboxGateway().notification_for(payment, SUCCESS) for payment in payments]
    results = at_once([
        lambda message=message: services.handle_notification(gateway_name="sandbox", data=dict(message))
        for message in messages + messages
    ])
    assert not [result for result in results if isinstance(result, Exception)], results
    for customer in customers:
        customer.account.refresh_from_db()
        assert customer.account.balance == Decimal("30.00")
    assert Transaction.objects.filter(kind="deposit").count() == len(payments)


def test_releases_and_refusals_of_one_held_payment_at_once_decide_it_once():
    customer = CustomerFactory()
    payment = held(customer)
    reviewers = [ManagerFactory().user for _ in range(WORKERS)]
    calls = [
        (lambda by=by: services.release_held(payment_id=payment.pk, by=by)) if i % 3 else
        (lambda by=by: services.refuse_held(payment_id=payment.pk, by=by, reason="stolen card"))
        for i, by in enumerate(reviewers)
    ]
    results = at_once(calls)
    payment.refresh_from_db()
    assert payment.status in ("completed", "refused"), payment.status
    # The winner's decision stands; same-decision callers get it back, the others 409.
    outcomes = {type(result).__name__ if isinstance(result, Exception) else result.status for result in results}
    assert outcomes <= {payment.status, "PaymentNotHeld"}, results
    credited = Decimal("5000.00") if payment.status == "completed" else Decimal("0.00")
    customer.account.refresh_from_db()
    assert customer.account.balance == credited
    assert Transaction.objects.filter(kind="deposit").count() == (1 if credited else 0)
    decisions = AuditEvent.objects.filter(action__in=[Action.PAYMENT_RELEASED, Action.PAYMENT_REFUSED])
    assert decisions.count() == 1 and decisions.get().actor_id == payment.reviewed_by_id


def test_twelve_releases_at_once_credit_once():
    customer = CustomerFactory()
    payment = held(customer)
    reviewers = [ManagerFactory().user for _ in range(WORKERS)]
    results = at_once([lambda by=by: services.release_held(payment_id=payment.pk, by=by) for by in reviewers])
    assert all(isinstance(result, Payment) and result.status == "completed" for result in results), results
    customer.account.refresh_from_db()
    assert customer.account.balance == Decimal("5000.00")
    assert Transaction.objects.filter(kind="deposit").count() == 1
    assert AuditEvent.objects.filter(action=Action.PAYMENT_RELEASED).count() == 1
