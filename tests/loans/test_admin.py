"""The admin decides loans through the same services as the API."""

from decimal import Decimal

import pytest
from django.test import Client

from loans.models import Loan
from tests.helpers import balance
from transactions.models import Transaction

from .helpers import approved_loan, ledger_problems, receivable, request

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/loans/loan/"


@pytest.fixture
def admin_client(manager):
    client = Client()
    client.force_login(manager.user)
    return client


def act(client, action, *loans):
    return client.post(CHANGELIST, {"action": action, "_selected_action": [loan.pk for loan in loans]}, follow=True)


def test_manager_sees_loans_and_a_loan_with_its_schedule(admin_client, customer, manager):
    loan = approved_loan(customer, manager, "1200.00", term_months=3)
    assert admin_client.get(CHANGELIST).status_code == 200
    page = admin_client.get(f"{CHANGELIST}{loan.pk}/change/")
    assert page.status_code == 200 and b"Installments" in page.content


def test_approve_action_disburses_through_the_ledger_once(admin_client, customer, manager):
    pending = request(customer, "700.00")
    already = approved_loan(customer, manager, "300.00")
    response = act(admin_client, "approve_selected", pending, already)
    assert response.status_code == 200
    pending.refresh_from_db()
    assert pending.status == Loan.Status.APPROVED and pending.amount_approved == Decimal("700.00")
    assert pending.decided_by == manager.user and pending.installments.count() == 12
    assert balance(customer.account) == Decimal("1000.00") and receivable() == Decimal("-1000.00")
    assert Transaction.objects.filter(kind="loan_disbursement").count() == 2
    assert f"Loan #{already.pk}: This loan is already approved" in response.content.decode()
    assert ledger_problems() == []


def test_reject_action(admin_client, customer):
    loan = request(customer, "700.00")
    act(admin_client, "reject_selected", loan)
    loan.refresh_from_db()
    assert loan.status == Loan.Status.REJECTED and not Transaction.objects.exists()


def test_loans_cannot_be_added_edited_or_deleted_in_the_admin(admin_client, customer):
    loan = request(customer, "700.00")
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403
    admin_client.post(f"{CHANGELIST}{loan.pk}/change/", {"status": "approved", "amount_approved": "700.00"})
    assert admin_client.post(f"{CHANGELIST}{loan.pk}/delete/", {"post": "yes"}).status_code == 403
    loan.refresh_from_db()
    assert loan.status == Loan.Status.PENDING and loan.amount_approved is None


def test_customers_cannot_decide_in_the_admin(customer):
    loan = request(customer, "700.00")
    client = Client()
    client.force_login(customer.user)
    act(client, "approve_selected", loan)
    loan.refresh_from_db()
    assert loan.status == Loan.Status.PENDING and balance(customer.account) == Decimal("0.00")
