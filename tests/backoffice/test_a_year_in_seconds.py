"""A year in seconds: 365 consecutive business dates over 100 customers with savings and loans.

The clock travels (time-machine): each day's deposits happen at 10:00, close of business
for the day runs at 00:30 the next morning, as the nightly task does. The test keeps its
own books while it goes (each savings account's balance at the end of each day, read
before close of business runs) and checks at the end:

- interest: every month's posting equals the test's own sum of balance x rate / 36,500 over
  the month's days, rounded half-even to the cent (to the cent, per account and month);
- installments: collected on their due date where the money was there, overdue (with one
  late fee each) where it was not, and after every close no loan owes arrears while its
  account still holds money that could have paid them;
- re-running every date changes nothing (ledger, loans, fees, runs' effects);
- the ledger audit is clean.
"""

import time
from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

import pytest
from django.db.models import Count, Sum
from django.test import override_settings
from django.utils import timezone

from backoffice.models import CloseOfBusinessRun, CollectionAttempt, InterestAccrual, InterestPosting, LateFee
from loans import services as loans
from loans.models import Installment, Loan
from tests.conftest import on_postgres
from tests.factories import CustomerFactory, ManagerFactory
from tests.loans.helpers import internal, ledger_problems
from transactions.models import Account, Entry, Transaction
from transactions.services import deposit, withdraw

from .helpers import close, during

# On PostgreSQL committed day by day (a transactional test), as in production: in one
# enclosing transaction every balance update of the bank's own accounts leaves a row version
# PostgreSQL cannot prune, and locking those rows slows down day after day. (SQLite cannot
# empty the append-only ledger after a transactional test, and has no such versions.)
pytestmark = [pytest.mark.django_db(transaction=on_postgres()), pytest.mark.slow]
D = Decimal
FIRST = date(2027, 7, 1)  # 365 dates to 29 June 2028, across a leap day
LAST = FIRST + timedelta(days=364)
RATES = {"SAVINGS": D("4.00"), "JOINT": D("3.50")}
FEE = D("200.00")
GRACE = 5
PAYER, BROKE, SHORT, SAVER = range(4)


def account_type(i: int) -> str:
    return "CHECKING" if i % 10 == 9 else "JOINT" if i % 10 == 8 else "SAVINGS"


@pytest.fixture(autouse=True)
def rules():
    with override_settings(SAVINGS_ANNUAL_RATE=RATES, LOAN_GRACE_DAYS=GRACE, LOAN_LATE_FEE=FEE):
        yield


def open_the_bank():
    """100 customers: payers (a loan and money to pay it), broke borrowers, short ones, savers."""
    customers = {}
    with during(FIRST, hour=9):
        manager = ManagerFactory()
        for i in range(100):
            customer = CustomerFactory(account_type=account_type(i))
            deposit(account=customer.account, amount=D("1000.00") + D(i) * D("1234.56"), performed_by=None)
            group = i % 4
            if group != SAVER:
                loan = loans.request_loan(customer=customer, amount_requested=D("6000.00") + D(i * 25), term_months=12)
                loans.approve_loan(loan=loan, amount_approved=loan.amount_requested, decided_by=manager.user,
                                   today=FIRST)
                customer.account.refresh_from_db()
                if group == BROKE:  # spends everything, the loan too
                    withdraw(account=customer.account, amount=customer.account.balance, performed_by=None)
                elif group == SHORT:  # keeps 800.00 and tops up 500.00 on the 15th of each month
                    withdraw(account=customer.account, amount=customer.account.balance - D("800.00"),
                             performed_by=None)
            customers[customer.account.pk] = (i, customer)
    return customers


def arrears_while_money_waits(closed: date) -> list:
    """Loans owing installments due by `closed` whose account still holds money: collection missed them."""
    owing = Installment.objects.filter(status__in=["unpaid", "partially_paid"], due_date__lte=closed,
                                       loan__status="approved").values_list("loan__account_id", flat=True)
    return list(Account.objects.filter(pk__in=owing, balance__gt=0).values_list("pk", "balance"))


def state() -> dict:
    """Everything close of business may change, to compare before and after re-running dates."""
    return {
        "transactions": Transaction.objects.count(),
        "balances": list(Account.objects.order_by("pk").values_list("pk", "balance")),
        "installments": list(Installment.objects.order_by("pk").values_list("pk", "status", "principal_paid",
                                                                              "interest_paid")),
        "loans": list(Loan.objects.order_by("pk").values_list("pk", "status", "days_past_due", "delinquency_bucket",
                                                              "outstanding_principal", "outstanding_interest")),
        "fees": list(LateFee.objects.order_by("pk").values_list("pk", "installment_id", "amount", "transaction_id")),
        "accruals": InterestAccrual.objects.count(),
        "postings": list(InterestPosting.objects.order_by("pk").values_list("pk", "amount", "transaction_id")),
        "attempts": CollectionAttempt.objects.count(),
    }


def test_a_year_of_close_of_business(capsys):
    customers = open_the_bank()
    earning = {pk: RATES[customer.account_type] for pk, (_, customer) in customers.items()
               if customer.account_type in RATES}
    expected = defaultdict(D)  # (account, first of month) -> sum of end-of-day balance x rate
    started = time.monotonic()
    day = FIRST
    while day <= LAST:
        if day.day == 15:
            with during(day, hour=10):
                for i, customer in customers.values():
                    if i % 4 == SHORT:
                        deposit(account=customer.account, amount=D("500.00"), performed_by=None)
        # The test's own books: each earning account's balance at the end of the day.
        for pk, balance in Account.objects.filter(pk__in=list(earning)).values_list("pk", "balance"):
            if balance > 0:
                expected[(pk, day.replace(day=1))] += balance * earning[pk]
        [run] = close(day)
        assert run.status == CloseOfBusinessRun.Status.COMPLETED, run.errors
        if day.day in (1, 2, 15, 16, 28):
            assert arrears_while_money_waits(day) == []
        day += timedelta(days=1)
    year_seconds = time.monotonic() - started

    # Interest: to the cent, per account and month; June 2028 is not over, so not posted.
    posted = {(p.account_id, p.month): p.amount for p in InterestPosting.objects.all()}
    complete = {key: value for key, value in expected.items() if key[1] < date(2028, 6, 1)}
    want = {key: (value / D(36500)).quantize(D("0.01"), rounding=ROUND_HALF_EVEN) for key, value in complete.items()}
    assert posted == want
    assert len(posted) > 11 * 60
    interest_tx = Transaction.objects.filter(kind="interest")
    assert interest_tx.count() == sum(1 for amount in want.values() if amount > 0)
    assert interest_tx.aggregate(total=Sum("amount"))["total"] == sum(want.values())
    assert interest_tx.values("destination_id", "created_at__month").annotate(n=Count("id")).filter(n__gt=1).count() == 0
    assert InterestAccrual.objects.filter(posting__isnull=True).values_list("business_date", flat=True).distinct(
        ).order_by("business_date").first() == date(2028, 6, 1)

    # Installments: 11 fell due (1 Aug 2027 .. 1 Jun 2028) on each of the 75 loans.
    due = Installment.objects.filter(due_date__lte=LAST)
    assert due.count() == 75 * 11
    by_group = defaultdict(list)
    for installment in due.select_related("loan"):
        by_group[customers[installment.loan.account_id][0] % 4].append(installment)
    fees = {fee.installment_id: fee for fee in LateFee.objects.all()}
    for installment in by_group[PAYER]:
        assert installment.status == "paid" and installment.pk not in fees
    for installment in by_group[BROKE]:
        assert installment.status == "unpaid" and installment.amount_paid == 0
        overdue = installment.due_date + timedelta(days=GRACE) < LAST
        assert (installment.pk in fees) == overdue
        if overdue:
            assert fees[installment.pk].assessed_on == installment.due_date + timedelta(days=GRACE + 1)
            assert fees[installment.pk].transaction is None  # never any money to take it from
    short_paid = [i for i in by_group[SHORT] if i.status == "paid"]
    short_late = [i for i in by_group[SHORT] if i.pk in fees]
    assert short_paid and short_late  # some collected, some overdue, as their balances dictated
    assert all(i.status != "paid" or i.amount_paid == i.amount for i in by_group[SHORT])
    # Fees once: one per overdue installment, each collected at most once, all in fee income.
    assert LateFee.objects.values("installment").annotate(n=Count("id")).filter(n__gt=1).count() == 0
    # An installment is charged exactly when it was still unpaid after the collection of its
    # first overdue date (due + grace + 1); close(D) runs at 00:30 on D + 1, which paid_at shows.
    def charged(installment) -> bool:
        first_overdue = installment.due_date + timedelta(days=GRACE + 1)
        if first_overdue > LAST:
            return False
        return installment.status != "paid" or timezone.localtime(installment.paid_at).date() - timedelta(
            days=1) > first_overdue

    assert set(fees) == {i.pk for i in due if charged(i)}
    fee_tx = Transaction.objects.filter(kind="late_fee")
    assert fee_tx.count() == LateFee.objects.filter(transaction__isnull=False).count()
    assert internal(Account.FEE_INCOME) == FEE * fee_tx.count()
    assert Loan.objects.filter(delinquency_bucket="90+").count() >= 25  # the broke ones, 11 months behind

    # Re-running every date changes nothing.
    before = state()
    started = time.monotonic()
    day = FIRST
    while day <= LAST:
        close(day)
        day += timedelta(days=1)
    rerun_seconds = time.monotonic() - started
    assert state() == before
    assert ledger_problems() == []
    assert Entry.objects.count() > 3000

    with capsys.disabled():
        print(f"\n[year in seconds] 365 dates: {year_seconds:.1f}s; all re-run: {rerun_seconds:.1f}s; "
              f"{Transaction.objects.count()} transactions")
