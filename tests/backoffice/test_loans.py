"""Installments collected on their due date, overdue after the grace days, one late fee, buckets."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import override_settings

from backoffice.models import CollectionAttempt, LateFee
from loans import services as loans
from loans.models import Installment, Loan
from notifications.models import Notification
from tests.factories import CustomerFactory
from tests.helpers import balance
from tests.loans.helpers import internal, ledger_problems
from transactions.models import Account, Transaction
from transactions.services import deposit, withdraw

from .helpers import close, close_range, during

pytestmark = pytest.mark.django_db
D = Decimal
DAY_0 = date(2025, 1, 10)
FIRST_DUE = date(2025, 2, 10)


@pytest.fixture(autouse=True)
def rules():
    with override_settings(LOAN_GRACE_DAYS=5, LOAN_LATE_FEE=D("200.00"), SAVINGS_ANNUAL_RATE={}):
        yield


def borrower(manager, *, keep: str):
    """A customer with a 12,000.00 loan over 12 months at 12 %, keeping `keep` of the money."""
    with during(DAY_0):
        customer = CustomerFactory()
        loan = loans.request_loan(customer=customer, amount_requested=D("12000.00"), term_months=12)
        loan = loans.approve_loan(loan=loan, amount_approved=D("12000.00"), decided_by=manager.user, today=DAY_0)
        withdraw(account=customer.account, amount=D("12000.00") - D(keep), performed_by=None) if D(keep) < D(
            "12000.00") else None
    return customer, loan


def test_an_installment_due_with_enough_money_is_collected_on_its_due_date(manager):
    customer, loan = borrower(manager, keep="12000.00")
    close_range(DAY_0, FIRST_DUE - timedelta(days=1))
    assert not loan.repayments.exists()
    close(FIRST_DUE)
    first = loan.installments.get(number=1)
    assert first.status == Installment.Status.PAID and first.due_date == FIRST_DUE
    assert balance(customer.account) == D("12000.00") - loan.installment_amount
    loan.refresh_from_db()
    assert (loan.days_past_due, loan.delinquency_bucket) == (0, "")
    assert loan.repayments.get().amount == loan.installment_amount
    assert ledger_problems() == []


def test_an_installment_with_no_money_becomes_overdue_after_the_grace_days_with_one_late_fee(manager):
    customer, loan = borrower(manager, keep="0.00")
    close_range(DAY_0, FIRST_DUE + timedelta(days=5))
    assert not LateFee.objects.exists()  # the grace days: not overdue yet
    loan.refresh_from_db()
    assert (loan.days_past_due, loan.delinquency_bucket) == (5, "1-30")
    close_range(FIRST_DUE + timedelta(days=6), FIRST_DUE + timedelta(days=20))
    fee = LateFee.objects.get()
    assert (fee.installment.number, fee.amount, fee.assessed_on) == (1, D("200.00"), FIRST_DUE + timedelta(days=6))
    assert fee.transaction is None  # nothing to take it from yet
    assert Notification.objects.filter(user=customer.user, kind="installment_overdue").count() == 1
    loan.refresh_from_db()
    assert (loan.days_past_due, loan.delinquency_bucket) == (20, "1-30")
    assert not Transaction.objects.filter(kind__in=["loan_repayment", "late_fee"]).exists()


def test_buckets_follow_the_oldest_unpaid_installment(manager):
    _, loan = borrower(manager, keep="0.00")
    close(FIRST_DUE + timedelta(days=31))  # first close: just this date
    loan.refresh_from_db()
    assert (loan.days_past_due, loan.delinquency_bucket) == (31, "31-60")
    close(FIRST_DUE + timedelta(days=95))  # catches up every date between, in order
    loan.refresh_from_db()
    assert (loan.days_past_due, loan.delinquency_bucket) == (95, "90+")
    # Installments due 10 Feb, 10 Mar, 10 Apr and 10 May (overdue from 16 May): one fee each.
    assert sorted(LateFee.objects.values_list("installment__number", flat=True)) == [1, 2, 3, 4]


def test_a_short_balance_is_collected_in_part_then_the_rest_and_the_fee_when_money_arrives(manager):
    customer, loan = borrower(manager, keep="500.00")
    due = loan.installment_amount  # 1066.19
    close_range(DAY_0, FIRST_DUE + timedelta(days=6))
    first = loan.installments.get(number=1)
    assert first.status == Installment.Status.PARTIALLY_PAID and first.amount_paid == D("500.00")
    assert LateFee.objects.get().installment == first
    with during(FIRST_DUE + timedelta(days=7)):
        deposit(account=customer.account, amount=D("1000.00"), performed_by=None)
    close(FIRST_DUE + timedelta(days=7))
    first.refresh_from_db()
    fee = LateFee.objects.get()
    assert first.status == Installment.Status.PAID
    assert fee.transaction.amount == D("200.00") and fee.collected_on == FIRST_DUE + timedelta(days=7)
    assert balance(customer.account) == D("1500.00") - due - D("200.00")
    assert internal(Account.FEE_INCOME) == D("200.00")
    loan.refresh_from_db()
    assert (loan.days_past_due, loan.delinquency_bucket) == (0, "")
    # Fees once: later dates and re-runs take nothing more.
    close_range(FIRST_DUE + timedelta(days=1), FIRST_DUE + timedelta(days=10))
    assert Transaction.objects.filter(kind="late_fee").count() == 1
    assert ledger_problems() == []


def test_rerunning_a_date_collects_nothing_more(manager):
    customer, loan = borrower(manager, keep="300.00")
    close_range(DAY_0, FIRST_DUE)
    with during(FIRST_DUE + timedelta(days=1)):
        deposit(account=customer.account, amount=D("5000.00"), performed_by=None)
    close(FIRST_DUE)  # the due date again, now that the money is there
    assert loan.repayments.count() == 1 and balance(customer.account) == D("5000.00")
    assert CollectionAttempt.objects.get(loan=loan, business_date=FIRST_DUE).installments_collected == D("300.00")


def test_a_frozen_account_is_not_debited_and_the_attempt_says_why(manager):
    customer, loan = borrower(manager, keep="12000.00")
    close_range(DAY_0, FIRST_DUE - timedelta(days=1))
    Account.objects.filter(pk=customer.account.pk).update(status=Account.Status.FROZEN)
    close(FIRST_DUE)
    attempt = CollectionAttempt.objects.get(loan=loan, business_date=FIRST_DUE)
    assert attempt.installments_collected == 0 and "frozen" in attempt.error
    assert balance(customer.account) == D("12000.00")


def test_customers_are_reminded_three_days_before_an_installment_falls_due(manager):
    customer, loan = borrower(manager, keep="12000.00")
    close_range(DAY_0, FIRST_DUE - timedelta(days=4))
    assert not Notification.objects.filter(kind="installment_due").exists()
    close(FIRST_DUE - timedelta(days=3))
    close(FIRST_DUE - timedelta(days=3))
    reminder = Notification.objects.get(kind="installment_due")
    assert reminder.user == customer.user and str(FIRST_DUE) in reminder.subject


def test_loans_show_days_past_due_and_bucket_in_the_api(manager, api_client):
    from tests.conftest import client_for

    customer, loan = borrower(manager, keep="0.00")
    close(FIRST_DUE + timedelta(days=61))
    body = client_for(customer.user).get(f"/api/loans/{loan.pk}/").json()
    assert (body["days_past_due"], body["delinquency_bucket"]) == (61, "61-90")
    assert Loan.objects.get(pk=loan.pk).delinquency_bucket == "61-90"
