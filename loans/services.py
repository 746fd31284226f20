"""Every write on loans: request, approve (disburse), reject, cancel, repay; and the schedule math.

Money moves only through the ledger (transactions.services.lock_accounts + post_transaction)
inside the same database transaction that changes the loan. Each money-moving function
locks the loan row first, then the accounts (one statement, primary-key order): the same
order everywhere, so two managers approving at once serialise on the loan row and the
second one finds it no longer pending.
"""

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, localcontext

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Customer, User
from bank_project.errors import Conflict, DomainError
from bank_project.money import CENT, validate_amount
from notifications import services as notifications
from transactions.models import Account, Transaction
from transactions.services import Posting, by_code, by_pk, lock_accounts, post_transaction

from .models import ZERO, Installment, Loan, Repayment

MIN_TERM_MONTHS = 1
MAX_TERM_MONTHS = 360
MAX_ANNUAL_RATE = Decimal("100.00")


# --- Domain errors ---------------------------------------------------------------------


class LoanNotPending(Conflict):
    code = "loan_not_pending"
    default_message = "This loan has already been decided; a loan is decided only once."


class LoanNotRepayable(Conflict):
    code = "loan_not_repayable"
    default_message = "Only an approved loan can be repaid."


class InvalidLoanAmount(DomainError):
    code = "invalid_loan_amount"
    default_message = "The loan amount must be a positive number of at most 2 decimal places."


class InvalidLoanTerms(DomainError):
    code = "invalid_loan_terms"
    default_message = "The loan's term or interest rate is not valid."


class LoanAmountAboveLimit(DomainError):
    code = "loan_amount_above_limit"
    default_message = "The amount is above the largest loan the bank grants."


class TooManyOpenLoans(DomainError):
    code = "too_many_open_loans"
    default_message = "You already have the largest number of open loans allowed."


class LoanAboveIncomeMultiple(DomainError):
    code = "loan_above_income_multiple"
    default_message = "The amount is too large for your monthly income."


class Overpayment(DomainError):
    code = "loan_overpayment"
    default_message = "The repayment is larger than what is outstanding on the loan."


class NoAccount(DomainError):
    code = "no_account"
    default_message = "You have no bank account yet; create your customer profile first."


# --- Schedule math -----------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduledInstallment:
    number: int
    due_date: date
    principal: Decimal
    interest: Decimal

    @property
    def amount(self) -> Decimal:
        return self.principal + self.interest


def add_months(start: date, months: int) -> date:
    """The same day `months` later, or that month's last day (31 Jan + 1 month = 28/29 Feb)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def validate_terms(*, term_months, annual_interest_rate) -> None:
    if isinstance(term_months, bool) or not isinstance(term_months, int) or not (
        MIN_TERM_MONTHS <= term_months <= MAX_TERM_MONTHS
    ):
        raise InvalidLoanTerms(f"The term must be a whole number of months from {MIN_TERM_MONTHS} to {MAX_TERM_MONTHS}.")
    rate = annual_interest_rate
    if not isinstance(rate, Decimal) or not rate.is_finite() or not (ZERO <= rate <= MAX_ANNUAL_RATE):
        raise InvalidLoanTerms(f"The annual interest rate must be a percentage from 0 to {MAX_ANNUAL_RATE}.")
    if rate != rate.quantize(CENT):
        raise InvalidLoanTerms("The annual interest rate can have at most 2 decimal places.")


def _check_loan_amount(amount, *, field: str = "amount") -> Decimal:
    return validate_amount(amount, what=field, error=InvalidLoanAmount)


def monthly_payment(*, amount: Decimal, term_months: int, annual_interest_rate: Decimal) -> Decimal:
    """The equal monthly installment, rounded half-up to the cent.

    Annuity formula on the declining balance: A = P·r / (1 − (1 + r)^−n), r = annual rate / 12.
    A zero rate splits the amount evenly (rounded down; the last installment takes the rest).
    """
    if annual_interest_rate == 0:
        return (amount / term_months).quantize(CENT, rounding=ROUND_DOWN)
    with localcontext() as context:
        context.prec = 40
        r = annual_interest_rate / Decimal(1200)
        return (amount * r / (1 - (1 + r) ** -term_months)).quantize(CENT, rounding=ROUND_HALF_UP)


def build_schedule(
    *, amount: Decimal, term_months: int, annual_interest_rate: Decimal, start: date
) -> list[ScheduledInstallment]:
    """The loan's installments, due monthly from `start` (the disbursement day).

    Each month's interest is the outstanding balance times the monthly rate, rounded half-up
    to the cent; principal is the installment minus that interest; the last installment
    pays whatever principal remains, so the principal sums exactly to `amount`.
    Refuses terms whose cents-rounded schedule would not work (an installment of 0.00, or a
    last installment more than twice the others on an interest-bearing loan): the amount is
    too small for the term, or the rate too steep for it.
    """
    _check_loan_amount(amount)
    validate_terms(term_months=term_months, annual_interest_rate=annual_interest_rate)
    payment = monthly_payment(amount=amount, term_months=term_months, annual_interest_rate=annual_interest_rate)
    rows = []
    balance = amount
    with localcontext() as context:
        context.prec = 40
        r = annual_interest_rate / Decimal(1200)
        for number in range(1, term_months + 1):
            interest = (balance * r).quantize(CENT, rounding=ROUND_HALF_UP)
            principal = balance if number == term_months else min(payment - interest, balance)
            rows.append(ScheduledInstallment(number, add_months(start, number), principal, interest))
            balance -= principal
    last = rows[-1].amount
    # Rounding each installment to the cent drifts the balance; on a small amount over a
    # long term (or a steep rate) the drift eats whole installments or piles up at the end.
    balloon = annual_interest_rate > 0 and term_months > 1 and last > 2 * payment
    if any(row.amount <= 0 for row in rows) or balloon:
        raise InvalidLoanTerms(
            f"A loan of {amount} over {term_months} months at {annual_interest_rate}% cannot be repaid in equal "
            "monthly installments of whole cents; choose a larger amount or a shorter term."
        )
    return rows


def preview_schedule(*, amount: Decimal, term_months: int, today: date | None = None) -> dict:
    """What a customer would pay if a loan of `amount` were approved today at today's rate."""
    rate = settings.LOAN_DEFAULT_ANNUAL_INTEREST_RATE
    rows = build_schedule(
        amount=amount, term_months=term_months, annual_interest_rate=rate, start=today or timezone.localdate()
    )
    total_interest = sum((row.interest for row in rows), ZERO)
    return {
        "amount": amount,
        "term_months": term_months,
        "annual_interest_rate": rate,
        "installment_amount": rows[0].amount,
        "total_interest": total_interest,
        "total_repayable": amount + total_interest,
        "installments": rows,
    }


# --- Underwriting -------------------------------------------------------------------------


def _underwrite(*, customer: Customer, amount: Decimal) -> None:
    """The bank's guard rails on a new request; the customer row is locked by the caller."""
    if amount > settings.LOAN_MAX_AMOUNT:
        raise LoanAmountAboveLimit(f"The bank grants loans of at most {settings.LOAN_MAX_AMOUNT}.")
    open_loans = Loan.objects.filter(customer=customer, status__in=Loan.OPEN_STATUSES).count()
    if open_loans >= settings.LOAN_MAX_OPEN_PER_CUSTOMER:
        raise TooManyOpenLoans(
            f"You already have {open_loans} open loans (pending or being repaid); the bank allows at most "
            f"{settings.LOAN_MAX_OPEN_PER_CUSTOMER}. Repay or cancel one first."
        )
    ceiling = (customer.monthly_income * settings.LOAN_MAX_INCOME_MULTIPLE).quantize(CENT)
    if amount > ceiling:
        raise LoanAboveIncomeMultiple(
            f"With a monthly income of {customer.monthly_income} you may borrow at most {ceiling} "
            f"({settings.LOAN_MAX_INCOME_MULTIPLE} times your monthly income). Ask for less, or update your "
            "income in your profile."
        )


# --- The loan's life -------------------------------------------------------------------------


@transaction.atomic
def request_loan(
    *, customer: Customer, amount_requested: Decimal, term_months: int = 12, purpose: str = ""
) -> Loan:
    """A customer asks for a loan; it waits, pending, for a manager's decision."""
    _check_loan_amount(amount_requested, field="amount requested")
    rate = settings.LOAN_DEFAULT_ANNUAL_INTEREST_RATE
    # Refuse now what could never be approved as asked.
    build_schedule(amount=amount_requested, term_months=term_months, annual_interest_rate=rate,
                   start=timezone.localdate())
    # Locking the customer serialises their concurrent requests, so the open-loan count holds.
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    account = Account.objects.filter(customer=customer, kind=Account.Kind.CUSTOMER).first()
    if account is None:
        raise NoAccount()
    _underwrite(customer=customer, amount=amount_requested)
    return Loan.objects.create(
        customer=customer,
        account=account,
        amount_requested=amount_requested,
        term_months=term_months,
        purpose=purpose.strip(),
        annual_interest_rate=rate,
    )


def _lock_loan(loan: Loan) -> Loan:
    return Loan.objects.select_for_update().get(pk=loan.pk)


def _refuse_unless_pending(loan: Loan, action: str) -> None:
    if loan.status != Loan.Status.PENDING:
        raise LoanNotPending(f"This loan is already {loan.status}; only a pending loan can be {action}.")


@transaction.atomic
def approve_loan(
    *,
    loan: Loan,
    amount_approved: Decimal,
    decided_by: User,
    annual_interest_rate: Decimal | None = None,
    today: date | None = None,
) -> Loan:
    """Approve, disburse `amount_approved` into the customer's account and fix the schedule.

    Customer +X, loans receivable −X, in the same database transaction as the decision.
    """
    loan = _lock_loan(loan)
    _refuse_unless_pending(loan, "approved")
    _check_loan_amount(amount_approved, field="approved amount")
    if amount_approved > loan.amount_requested:
        raise InvalidLoanAmount(
            f"The approved amount ({amount_approved}) cannot be more than the amount requested "
            f"({loan.amount_requested})."
        )
    rate = loan.annual_interest_rate if annual_interest_rate is None else annual_interest_rate
    now = timezone.now()
    start = today or timezone.localdate()
    schedule = build_schedule(
        amount=amount_approved, term_months=loan.term_months, annual_interest_rate=rate, start=start
    )

    accounts = lock_accounts(ids=[loan.account_id], codes=[Account.LOANS_RECEIVABLE])
    customer_account = by_pk(accounts, loan.account_id)
    receivable = by_code(accounts, Account.LOANS_RECEIVABLE)
    disbursement = post_transaction(
        kind=Transaction.Kind.LOAN_DISBURSEMENT,
        legs=[(customer_account, amount_approved), (receivable, -amount_approved)],
        amount=amount_approved,
        source=receivable,
        destination=customer_account,
        performed_by=decided_by,
        description=f"Disbursement of loan #{loan.pk}",
    )

    Installment.objects.bulk_create(
        Installment(loan=loan, number=row.number, due_date=row.due_date, principal=row.principal,
                    interest=row.interest)
        for row in schedule
    )
    total_interest = sum((row.interest for row in schedule), ZERO)
    loan.status = Loan.Status.APPROVED
    loan.amount_approved = amount_approved
    loan.annual_interest_rate = rate
    loan.decided_by = decided_by
    loan.decided_at = now
    loan.disbursement = disbursement.transaction
    loan.installment_amount = schedule[0].amount
    loan.total_interest = total_interest
    loan.outstanding_principal = amount_approved
    loan.outstanding_interest = total_interest
    loan.save(
        update_fields=[
            "status", "amount_approved", "annual_interest_rate", "decided_by", "decided_at", "disbursement",
            "installment_amount", "total_interest", "outstanding_principal", "outstanding_interest",
        ]
    )
    notifications.loan_decided(loan=loan)
    return loan


@transaction.atomic
def reject_loan(*, loan: Loan, decided_by: User, reason: str = "") -> Loan:
    loan = _lock_loan(loan)
    _refuse_unless_pending(loan, "rejected")
    loan.status = Loan.Status.REJECTED
    loan.decided_by = decided_by
    loan.decided_at = timezone.now()
    loan.decision_reason = reason.strip()[:255]
    loan.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    notifications.loan_decided(loan=loan)
    return loan


@transaction.atomic
def cancel_loan(*, loan: Loan, cancelled_by: User) -> Loan:
    """The customer withdraws their request while it is still pending."""
    loan = _lock_loan(loan)
    _refuse_unless_pending(loan, "cancelled")
    loan.status = Loan.Status.CANCELLED
    loan.decided_by = cancelled_by
    loan.decided_at = timezone.now()
    loan.decision_reason = "Cancelled by the customer."
    loan.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    return loan


@dataclass(frozen=True)
class Allocation:
    installment: Installment
    interest: Decimal
    principal: Decimal


def allocate_repayment(installments: list[Installment], amount: Decimal) -> list[Allocation]:
    """Split `amount` over the installments, oldest first: each one's interest, then its principal."""
    allocations = []
    left = amount
    for installment in sorted(installments, key=lambda i: i.number):
        if left <= 0:
            break
        interest = min(left, installment.interest - installment.interest_paid)
        left -= interest
        principal = min(left, installment.principal - installment.principal_paid)
        left -= principal
        if interest or principal:
            allocations.append(Allocation(installment, interest, principal))
    if left > 0:
        raise Overpayment()
    return allocations


@dataclass(frozen=True)
class RepaymentResult:
    """A repayment, the ledger posting that paid it, and the customer's balance after it."""

    repayment: Repayment
    posting: Posting
    balance_after: Decimal


@transaction.atomic
def repay_loan(*, loan: Loan, amount: Decimal, performed_by: User) -> RepaymentResult:
    """Debit the customer's account and pay the loan down: customer −(P+I), receivable +P, interest income +I."""
    validate_amount(amount, maximum=settings.MAX_TRANSACTION_AMOUNT)
    loan = _lock_loan(loan)
    if loan.status == Loan.Status.PAID:
        raise LoanNotRepayable("This loan is already fully repaid.")
    if loan.status != Loan.Status.APPROVED:
        raise LoanNotRepayable(f"This loan is {loan.status}; only an approved loan can be repaid.")
    outstanding = loan.outstanding_total
    if amount > outstanding:
        raise Overpayment(
            f"Only {outstanding} is outstanding on this loan; you cannot repay {amount}. "
            f"Repay at most {outstanding}."
        )
    installments = list(loan.installments.filter(status__in=[Installment.Status.UNPAID,
                                                             Installment.Status.PARTIALLY_PAID]))
    allocations = allocate_repayment(installments, amount)
    interest = sum((a.interest for a in allocations), ZERO)
    principal = sum((a.principal for a in allocations), ZERO)

    accounts = lock_accounts(ids=[loan.account_id], codes=[Account.LOANS_RECEIVABLE, Account.INTEREST_INCOME])
    customer_account = by_pk(accounts, loan.account_id)
    receivable = by_code(accounts, Account.LOANS_RECEIVABLE)
    legs = [(customer_account, -amount)]
    if principal:
        legs.append((receivable, principal))
    if interest:
        legs.append((by_code(accounts, Account.INTEREST_INCOME), interest))
    posting = post_transaction(
        kind=Transaction.Kind.LOAN_REPAYMENT,
        legs=legs,
        amount=amount,
        source=customer_account,
        destination=receivable if principal else by_code(accounts, Account.INTEREST_INCOME),
        performed_by=performed_by,
        description=f"Repayment of loan #{loan.pk}",
    )

    now = timezone.now()
    changed = []
    for allocation in allocations:
        installment = allocation.installment
        installment.interest_paid += allocation.interest
        installment.principal_paid += allocation.principal
        if installment.amount_due == 0:
            installment.status = Installment.Status.PAID
            installment.paid_at = now
        else:
            installment.status = Installment.Status.PARTIALLY_PAID
        changed.append(installment)
    Installment.objects.bulk_update(changed, ["interest_paid", "principal_paid", "status", "paid_at"])

    loan.outstanding_principal -= principal
    loan.outstanding_interest -= interest
    update = ["outstanding_principal", "outstanding_interest"]
    if loan.outstanding_total == 0:
        loan.status = Loan.Status.PAID
        loan.paid_at = now
        update += ["status", "paid_at"]
    loan.save(update_fields=update)
    repayment = Repayment.objects.create(loan=loan, transaction=posting.transaction, amount=amount,
                                         principal=principal, interest=interest)
    return RepaymentResult(repayment=repayment, posting=posting,
                           balance_after=posting.balance_after(customer_account))
