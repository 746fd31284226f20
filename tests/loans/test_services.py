"""The loan services: decided once, money through the ledger, repaid to the cent."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import override_settings

from accounts.models import Customer
from loans import selectors, services
from loans.models import Installment, Loan, Repayment
from tests.factories import CustomerFactory, fund
from tests.helpers import balance
from transactions.models import Transaction
from transactions.services import AccountFrozen, InsufficientFunds, freeze, withdraw

from .helpers import approved_loan, interest_income, ledger_problems, receivable, request

pytestmark = pytest.mark.django_db
D = Decimal


def test_request_creates_a_pending_loan_at_the_default_rate(customer):
    loan = request(customer, "5000.00", 24, "  Car  ")
    assert loan.status == Loan.Status.PENDING
    assert loan.account_id == customer.account.pk
    assert (loan.amount_requested, loan.term_months, loan.purpose) == (D("5000.00"), 24, "Car")
    assert loan.annual_interest_rate == D("12.00")
    assert loan.amount_approved is None and not loan.installments.exists()
    assert Transaction.objects.count() == 0


def test_approve_disburses_exactly_the_approved_amount_through_the_ledger(customer, manager):
    loan = request(customer, "12000.00")
    loan = services.approve_loan(loan=loan, amount_approved=D("10000.00"), decided_by=manager.user)
    assert balance(customer.account) == D("10000.00")
    assert receivable() == D("-10000.00")
    assert ledger_problems() == []
    loan.refresh_from_db()
    assert loan.status == Loan.Status.APPROVED and loan.amount_approved == D("10000.00")
    assert loan.decided_by == manager.user and loan.decided_at is not None
    tx = loan.disbursement
    assert tx.kind == Transaction.Kind.LOAN_DISBURSEMENT and tx.amount == D("10000.00")
    assert sorted(e.amount for e in tx.entries.all()) == [D("-10000.00"), D("10000.00")]
    installments = list(loan.installments.order_by("number"))
    assert len(installments) == 12
    assert sum(i.principal for i in installments) == D("10000.00")
    assert loan.outstanding_principal == D("10000.00")
    assert loan.outstanding_interest == sum(i.interest for i in installments) == loan.total_interest
    assert installments[0].due_date > date.today()


def test_manager_may_set_the_rate_on_approval(customer, manager):
    loan = approved_loan(customer, manager, "12000.00", rate="0")
    assert loan.annual_interest_rate == D("0.00") and loan.total_interest == D("0.00")
    assert [i.amount for i in loan.installments.all()] == [D("1000.00")] * 12


def test_approving_twice_moves_money_once(customer, manager):
    loan = approved_loan(customer, manager, "1000.00")
    with pytest.raises(services.LoanNotPending):
        services.approve_loan(loan=loan, amount_approved=D("1000.00"), decided_by=manager.user)
    assert balance(customer.account) == D("1000.00")
    assert Transaction.objects.filter(kind=Transaction.Kind.LOAN_DISBURSEMENT).count() == 1
    assert Installment.objects.filter(loan=loan).count() == 12


def test_approving_after_reject_is_refused_and_moves_nothing(customer, manager):
    loan = request(customer, "1000.00")
    services.reject_loan(loan=loan, decided_by=manager.user, reason=" Income too low ")
    loan.refresh_from_db()
    assert loan.status == Loan.Status.REJECTED and loan.decision_reason == "Income too low"
    with pytest.raises(services.LoanNotPending):
        services.approve_loan(loan=loan, amount_approved=D("1000.00"), decided_by=manager.user)
    with pytest.raises(services.LoanNotPending):
        services.reject_loan(loan=loan, decided_by=manager.user)
    assert balance(customer.account) == D("0.00") and Transaction.objects.count() == 0


@pytest.mark.parametrize("amount", ["1000.01", "0", "-5", "0.001"])
def test_approved_amount_must_be_positive_and_within_the_request(customer, manager, amount):
    loan = request(customer, "1000.00")
    with pytest.raises(services.InvalidLoanAmount):
        services.approve_loan(loan=loan, amount_approved=D(amount), decided_by=manager.user)
    loan.refresh_from_db()
    assert loan.status == Loan.Status.PENDING and Transaction.objects.count() == 0


def test_disbursing_into_a_frozen_account_is_refused_and_nothing_changes(customer, manager):
    loan = request(customer, "1000.00")
    freeze(account=customer.account, performed_by=manager.user)
    with pytest.raises(AccountFrozen):
        services.approve_loan(loan=loan, amount_approved=D("1000.00"), decided_by=manager.user)
    loan.refresh_from_db()
    assert loan.status == Loan.Status.PENDING and not loan.installments.exists()
    assert Transaction.objects.count() == 0


def test_cancel_only_while_pending(customer, manager):
    loan = request(customer, "1000.00")
    services.cancel_loan(loan=loan, cancelled_by=customer.user)
    loan.refresh_from_db()
    assert loan.status == Loan.Status.CANCELLED
    with pytest.raises(services.LoanNotPending):
        services.approve_loan(loan=loan, amount_approved=D("1000.00"), decided_by=manager.user)
    approved = approved_loan(customer, manager, "1000.00")
    with pytest.raises(services.LoanNotPending):
        services.cancel_loan(loan=approved, cancelled_by=customer.user)


def test_repayment_pays_interest_then_principal_oldest_installment_first(customer, manager):
    loan = approved_loan(customer, manager, "12000.00")
    # 1,066.19 pays installment 1 (120.00 interest + 946.19 principal); 200 more goes to
    # installment 2's interest (110.54) first, then 89.46 of its principal.
    first = services.repay_loan(loan=loan, amount=D("1066.19"), performed_by=customer.user).repayment
    assert (first.interest, first.principal) == (D("120.00"), D("946.19"))
    second = services.repay_loan(loan=loan, amount=D("200.00"), performed_by=customer.user).repayment
    one, two, three = loan.installments.order_by("number")[:3]
    assert one.status == Installment.Status.PAID and one.amount_due == 0 and one.paid_at is not None
    assert (two.interest, two.interest_paid) == (D("110.54"), D("110.54"))
    assert two.principal_paid == D("89.46") and two.status == Installment.Status.PARTIALLY_PAID
    assert three.amount_paid == 0 and three.status == Installment.Status.UNPAID
    assert (second.interest, second.principal) == (D("110.54"), D("89.46"))
    # Ledger: customer −(P+I), receivable +P, interest income +I.
    assert balance(customer.account) == D("12000.00") - D("1266.19")
    assert receivable() == D("-12000.00") + D("946.19") + D("89.46")
    assert interest_income() == D("230.54")
    entries = {e.account.code or "customer": e.amount for e in second.transaction.entries.select_related("account")}
    assert entries == {"customer": D("-200.00"), "loans_receivable": D("89.46"), "interest_income": D("110.54")}
    loan.refresh_from_db()
    assert loan.outstanding_principal == D("12000.00") - D("1035.65")
    assert loan.outstanding_interest == D("794.23") - D("230.54")
    assert ledger_problems() == []


def test_repay_partial_then_the_rest_makes_the_loan_paid(customer, manager):
    loan = approved_loan(customer, manager, "12000.00")
    fund(customer, "794.23")  # the interest, on top of the disbursed principal
    services.repay_loan(loan=loan, amount=D("5000.00"), performed_by=customer.user)
    loan.refresh_from_db()
    assert loan.status == Loan.Status.APPROVED
    services.repay_loan(loan=loan, amount=loan.outstanding_total, performed_by=customer.user)
    loan.refresh_from_db()
    assert loan.status == Loan.Status.PAID and loan.paid_at is not None
    assert loan.outstanding_total == 0
    assert not loan.installments.exclude(status=Installment.Status.PAID).exists()
    assert balance(customer.account) == D("0.00")
    assert receivable() == D("0.00") and interest_income() == D("794.23")
    assert sum(r.amount for r in Repayment.objects.filter(loan=loan)) == D("12794.23")
    with pytest.raises(services.LoanNotRepayable):
        services.repay_loan(loan=loan, amount=D("1.00"), performed_by=customer.user)
    assert ledger_problems() == []


def test_overpaying_is_refused_and_moves_nothing(customer, manager):
    loan = approved_loan(customer, manager, "1000.00", term_months=1)  # one installment: 1,010.00
    fund(customer, "500.00")
    before = Transaction.objects.count()
    with pytest.raises(services.Overpayment) as refused:
        services.repay_loan(loan=loan, amount=D("1010.01"), performed_by=customer.user)
    assert "1010.00" in refused.value.message
    assert Transaction.objects.count() == before and balance(customer.account) == D("1500.00")
    loan.refresh_from_db()
    assert loan.outstanding_total == D("1010.00") and not loan.installments.exclude(principal_paid=0).exists()


def test_repaying_with_insufficient_balance_is_refused_and_moves_nothing(customer, manager):
    loan = approved_loan(customer, manager, "1000.00")
    withdraw(account=customer.account, amount=D("950.00"), performed_by=None)
    before = Transaction.objects.count()
    with pytest.raises(InsufficientFunds):
        services.repay_loan(loan=loan, amount=D("60.00"), performed_by=customer.user)
    assert Transaction.objects.count() == before and balance(customer.account) == D("50.00")
    loan.refresh_from_db()
    assert loan.outstanding_principal == D("1000.00")
    assert not Repayment.objects.exists() and not loan.installments.exclude(interest_paid=0).exists()


def test_a_pending_loan_cannot_be_repaid(customer):
    loan = request(customer, "1000.00")
    fund(customer, "100.00")
    with pytest.raises(services.LoanNotRepayable):
        services.repay_loan(loan=loan, amount=D("10.00"), performed_by=customer.user)


# --- Guard rails --------------------------------------------------------------------------


@override_settings(LOAN_MAX_AMOUNT=D("10000.00"))
def test_amount_above_the_bank_ceiling_is_refused(customer):
    with pytest.raises(services.LoanAmountAboveLimit) as refused:
        request(customer, "10000.01")
    assert "10000.00" in refused.value.message
    assert request(customer, "10000.00").status == Loan.Status.PENDING


@override_settings(LOAN_MAX_OPEN_PER_CUSTOMER=2)
def test_at_most_n_open_loans_per_customer(customer, manager):
    first = request(customer, "100.00")
    approved_loan(customer, manager, "100.00")
    with pytest.raises(services.TooManyOpenLoans):
        request(customer, "100.00")
    services.cancel_loan(loan=first, cancelled_by=customer.user)  # cancelled loans are not open
    assert request(customer, "100.00").status == Loan.Status.PENDING


@override_settings(LOAN_MAX_INCOME_MULTIPLE=D("2"))
def test_amount_above_the_income_multiple_is_refused_with_a_clear_message():
    customer = CustomerFactory(monthly_income=D("1000.00"))
    with pytest.raises(services.LoanAboveIncomeMultiple) as refused:
        request(customer, "2000.01")
    assert "at most 2000.00" in refused.value.message and "monthly income" in refused.value.message
    assert request(customer, "2000.00").status == Loan.Status.PENDING


def test_a_customer_without_income_cannot_borrow():
    customer = CustomerFactory(monthly_income=D("0.00"))
    with pytest.raises(services.LoanAboveIncomeMultiple):
        request(customer, "1.00")
    assert not Loan.objects.filter(customer=customer).exists()
    assert Customer.objects.get(pk=customer.pk).monthly_income == 0


def test_installments_past_due_show_as_overdue(customer, manager):
    loan = approved_loan(customer, manager, "1200.00", term_months=3)
    first, second, _ = loan.installments.order_by("number")
    later = first.due_date + timedelta(days=5)
    assert selectors.installment_status(first, first.due_date) == "unpaid"
    assert selectors.installment_status(first, later) == "overdue"
    assert selectors.days_past_due(first, later) == 5
    assert selectors.installment_status(second, later) == "unpaid"
    services.repay_loan(loan=loan, amount=first.amount, performed_by=customer.user)
    first.refresh_from_db()
    assert selectors.installment_status(first, later) == "paid" and selectors.days_past_due(first, later) == 0
