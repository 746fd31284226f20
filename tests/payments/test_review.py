"""Payments the gateway rates high risk (SSLCommerz risk_level 1): held, never credited
automatically; staff with `review_payments` release them (the ledger's one credit, once) or
refuse them; every step audited."""

from decimal import Decimal

import pytest

from audit.models import Action, AuditEvent
from payments import services
from payments.gateways import FAILED, SUCCESS, Confirmation
from payments.gateways.sandbox import SandboxGateway
from staff.capabilities import BRANCH_MANAGER, LOAN_OFFICER, TELLER
from staff.roles import set_role
from tests.conftest import client_for
from tests.factories import ManagerFactory
from tests.helpers import balance
from transactions import services as ledger
from transactions.models import Transaction

from .conftest import clearing_balance, held, start
from .test_sslcommerz import IPN

pytestmark = pytest.mark.django_db


def reviewer(role=BRANCH_MANAGER):
    manager = ManagerFactory()
    set_role(manager.user, role)
    return manager.user


def release(user, payment, body=None):
    return client_for(user).post(f"/api/payments/{payment.pk}/release/", body or {}, format="json")


def refuse(user, payment, body=None):
    body = {"reason": "Card reported stolen"} if body is None else body
    return client_for(user).post(f"/api/payments/{payment.pk}/refuse/", body, format="json")


# --- the gateway's rating -------------------------------------------------------------------


def test_a_high_risk_sslcommerz_payment_is_held_with_its_rating_and_nothing_credited(customer, gateway, api_client):
    payment = start(customer)
    ipn = gateway.pay(payment.reference)
    gateway.validation_overrides = {"risk_level": "1", "risk_title": "Risky"}
    response = api_client.post(IPN, ipn)
    assert response.status_code == 200 and response.json() == {"reference": payment.reference, "status": "held"}
    payment.refresh_from_db()
    assert (payment.status, payment.risk_level, payment.risk_title) == ("held", "1", "Risky")
    assert payment.transaction is None and "held for review" in payment.status_detail
    assert balance(customer) == 0 and clearing_balance() == 0 and not Transaction.objects.exists()
    event = AuditEvent.objects.get(action=Action.PAYMENT_HELD)
    assert (event.target_id, event.after["risk_level"], event.after["source"]) == (str(payment.pk), "1", "notification")
    # SSLCommerz retries; reconciliation asks again: still held, still nothing credited.
    assert api_client.post(IPN, ipn).json()["status"] == "held"
    services.reconcile_one(payment=payment)
    payment.refresh_from_db()
    assert payment.status == "held" and balance(customer) == 0


def test_reconciliation_holds_a_risky_payment_whose_ipn_never_came(customer, gateway):
    payment = start(customer)
    gateway.pay(payment.reference)  # the IPN is lost
    gateway.validation_overrides = {"risk_level": "1", "risk_title": "Risky"}
    counts = services.reconcile()
    assert (counts["checked"], counts["held"], counts["completed"], counts["errors"]) == (1, 1, 0, 0)
    payment.refresh_from_db()
    assert payment.status == "held" and balance(customer) == 0
    assert services.reconcile()["checked"] == 0  # held payments are staff's, not reconciliation's


def test_a_safe_sslcommerz_payment_keeps_its_rating_and_is_credited(customer, gateway, api_client):
    payment = start(customer)
    assert api_client.post(IPN, gateway.pay(payment.reference)).json()["status"] == "completed"
    payment.refresh_from_db()
    assert (payment.risk_level, payment.risk_title, payment.reviewed_by) == ("0", "Safe", None)
    assert balance(customer) == Decimal("5000.00")


def test_a_held_payment_ignores_a_later_failure_or_a_safe_rating(customer):
    payment = held(customer)
    for confirmation in (
        Confirmation(reference=payment.reference, outcome=FAILED),
        Confirmation(reference=payment.reference, outcome=SUCCESS, amount=payment.amount, currency=payment.currency,
                     risk_level="0"),
    ):
        assert services.settle(gateway_name="sandbox", confirmation=confirmation, source="notification").status == "held"
    assert balance(customer) == 0


# --- release and refuse -------------------------------------------------------------------


def test_staff_release_a_held_payment_once_through_the_ledger(customer):
    payment = held(customer)
    staff = reviewer()
    response = release(staff, payment, {"note": "Called the customer; it was them."})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["reviewed_by"], body["risk_level"]) == ("completed", staff.username, "1")
    assert body["transaction"] is not None
    assert balance(customer) == Decimal("5000.00") and clearing_balance() == Decimal("-5000.00")
    deposit = Transaction.objects.get()
    assert (deposit.kind, deposit.performed_by_id) == ("deposit", staff.pk)
    event = AuditEvent.objects.get(action=Action.PAYMENT_RELEASED)
    assert (event.actor_id, event.target_id, event.before, event.after["note"]) == (
        staff.pk, str(payment.pk), {"status": "held"}, "Called the customer; it was them.")
    # Again (a double click, a retry, another reviewer): the released payment, nothing more.
    again = release(reviewer(), payment)
    assert again.status_code == 200 and again.json()["reviewed_by"] == staff.username
    assert Transaction.objects.count() == 1 and balance(customer) == Decimal("5000.00")
    assert AuditEvent.objects.filter(action=Action.PAYMENT_RELEASED).count() == 1
    assert refuse(staff, payment).status_code == 409


def test_staff_refuse_a_held_payment_and_it_is_never_credited(customer):
    payment = held(customer)
    staff = reviewer()
    assert refuse(staff, payment, {}).status_code == 400  # a reason is required
    response = refuse(staff, payment)
    assert response.status_code == 200 and response.json()["status"] == "refused"
    assert balance(customer) == 0 and not Transaction.objects.exists()
    event = AuditEvent.objects.get(action=Action.PAYMENT_REFUSED)
    assert (event.actor_id, event.after["reason"]) == (staff.pk, "Card reported stolen")
    assert refuse(staff, payment).status_code == 200  # repeated: the same answer
    assert AuditEvent.objects.filter(action=Action.PAYMENT_REFUSED).count() == 1
    response = release(staff, payment)
    assert response.status_code == 409 and response.json()["code"] == "payment_not_held"
    assert balance(customer) == 0


def test_only_a_held_payment_can_be_released_or_refused(customer):
    pending = start(customer)
    staff = reviewer()
    assert release(staff, pending).json()["code"] == "payment_not_held"
    assert refuse(staff, pending).status_code == 409
    assert client_for(staff).post("/api/payments/999999/release/", {}, format="json").status_code == 404
    assert release(staff, pending, {"amount": "1.00"}).status_code == 400  # unknown fields refused
    pending.refresh_from_db()
    assert pending.status == "pending" and balance(customer) == 0


def test_releasing_into_a_frozen_account_credits_nothing_and_the_payment_stays_held(customer):
    payment = held(customer)
    staff = reviewer()
    ledger.freeze(account=customer.account, performed_by=staff)
    response = release(staff, payment)
    assert response.status_code == 409 and response.json()["code"] == "payment_not_creditable"
    payment.refresh_from_db()
    assert payment.status == "held" and payment.reviewed_by is None and balance(customer) == 0
    assert not AuditEvent.objects.filter(action=Action.PAYMENT_RELEASED).exists()


@pytest.mark.parametrize("role", [TELLER, LOAN_OFFICER])
def test_staff_without_review_payments_and_customers_get_403(customer, role):
    payment = held(customer)
    assert release(reviewer(role), payment).status_code == 403
    assert refuse(reviewer(role), payment).status_code == 403
    assert release(customer.user, payment).status_code == 403
    payment.refresh_from_db()
    assert payment.status == "held" and balance(customer) == 0


def test_the_customer_sees_held_but_not_the_rating(customer):
    payment = held(customer)
    mine = client_for(customer.user).get(f"/api/payments/{payment.pk}/").json()
    assert mine["status"] == "held" and "held for review" in mine["status_detail"]
    assert not {"risk_level", "risk_title", "reviewed_by", "reviewed_at"} & set(mine)
    staff_view = client_for(reviewer()).get("/api/payments/", {"status": "held"}).json()["results"]
    assert [(row["id"], row["risk_level"], row["risk_title"]) for row in staff_view] == [(payment.pk, "1", "Risky")]


def test_the_sandbox_still_credits_without_review(customer):
    payment = start(customer)
    message = SandboxGateway().notification_for(payment, SUCCESS)
    assert services.handle_notification(gateway_name="sandbox", data=message).status == "completed"
    payment.refresh_from_db()
    assert (payment.risk_level, payment.reviewed_by) == ("", None) and balance(customer) == Decimal("5000.00")


def test_a_review_needs_a_fresh_second_factor_when_staff_mfa_is_required(customer, settings):
    settings.STAFF_MFA_REQUIRED = True
    payment = held(customer)
    response = release(reviewer(), payment)
    assert response.status_code == 401 and response.json()["code"] == "mfa_required"
    payment.refresh_from_db()
    assert payment.status == "held" and balance(customer) == 0
