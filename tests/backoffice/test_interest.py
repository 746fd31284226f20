"""Interest on savings: accrued daily on end-of-day balances, posted once a month."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import override_settings

from backoffice.models import CloseOfBusinessRun, InterestAccrual, InterestPosting
from backoffice.services import month_interest
from tests.factories import CustomerFactory, fund
from tests.helpers import balance
from tests.loans.helpers import internal, ledger_problems
from transactions.models import Account, Transaction
from transactions.services import withdraw

from .helpers import close, close_range, during

pytestmark = pytest.mark.django_db
D = Decimal
JAN_1, JAN_31 = date(2025, 1, 1), date(2025, 1, 31)


@pytest.fixture(autouse=True)
def six_percent_on_savings():
    with override_settings(SAVINGS_ANNUAL_RATE={"SAVINGS": Decimal("6.00")}):
        yield


@pytest.fixture
def saver(db):
    with during(JAN_1, hour=9):
        customer = CustomerFactory(account_type="SAVINGS")
        fund(customer, "100000.00")
    return customer


def test_31_days_of_100000_at_6_percent_post_one_interest_of_509_59(saver):
    # 100,000.00 x 6 % / 365 x 31 days = 509.5890... -> 509.59 (half-even to the cent).
    close_range(JAN_1, JAN_31)
    postings = list(InterestPosting.objects.all())
    assert [(p.month, p.days, p.amount) for p in postings] == [(JAN_1, 31, D("509.59"))]
    assert postings[0].accrued == D("509.589041095890")
    interest = Transaction.objects.get(kind=Transaction.Kind.INTEREST)
    assert interest.amount == D("509.59") and interest.destination_id == saver.account.pk
    assert balance(saver.account) == D("100509.59")
    assert internal(Account.INTEREST_EXPENSE) == D("-509.59")
    assert ledger_problems() == []


def test_closing_the_same_dates_again_posts_nothing_new(saver):
    close_range(JAN_1, JAN_31)
    close_range(JAN_1, JAN_31)
    assert InterestPosting.objects.count() == 1
    assert Transaction.objects.filter(kind=Transaction.Kind.INTEREST).count() == 1
    assert InterestAccrual.objects.count() == 31
    assert balance(saver.account) == D("100509.59")
    assert CloseOfBusinessRun.objects.filter(status="completed").count() == 62


def test_accrual_uses_the_end_of_day_balance_even_when_the_date_is_closed_late(saver):
    with during(JAN_1 + timedelta(days=1), hour=15):
        withdraw(account=saver.account, amount=D("40000.00"), performed_by=None)
    # Closed on Jan 5 for Jan 1..4 (catch-up): each day sees its own end-of-day balance.
    close(JAN_1)
    close(date(2025, 1, 4))
    accruals = dict(InterestAccrual.objects.values_list("business_date", "balance"))
    assert accruals == {JAN_1: D("100000.00"), date(2025, 1, 2): D("60000.00"), date(2025, 1, 3): D("60000.00"),
                        date(2025, 1, 4): D("60000.00")}


def test_a_missed_date_is_caught_up_in_order(saver):
    close(JAN_1)
    runs = close(date(2025, 1, 5))
    assert [run.business_date for run in runs] == [date(2025, 1, d) for d in (2, 3, 4, 5)]
    assert list(CloseOfBusinessRun.objects.order_by("id").values_list("business_date", flat=True)) == [
        date(2025, 1, d) for d in range(1, 6)
    ]


def test_month_rounding_is_half_even_on_the_exact_sum():
    # The month's sum of balance x rate is divided by 100 x 365 once: 182.5 -> 0.005 exactly,
    # which rounds to 0.00 (half to even), and 547.5 -> 0.015, which rounds to 0.02.
    assert month_interest(D("182.5")) == (D("0.005"), D("0.00"))
    assert month_interest(D("547.5")) == (D("0.015"), D("0.02"))


def test_account_types_without_a_rate_earn_nothing(db):
    with during(JAN_1, hour=9):
        checking = CustomerFactory(account_type="CHECKING")
        fund(checking, "5000.00")
    close_range(JAN_1, JAN_31)
    assert not InterestAccrual.objects.exists() and not InterestPosting.objects.exists()
    assert balance(checking.account) == D("5000.00")


def test_interest_reaches_a_frozen_account_but_a_closed_one_is_an_error_on_the_run(saver, manager):
    other = None
    with during(JAN_1, hour=9):
        other = CustomerFactory(account_type="SAVINGS")
        fund(other, "1000.00")
    close_range(JAN_1, date(2025, 1, 30))
    Account.objects.filter(pk=saver.account.pk).update(status=Account.Status.FROZEN)
    Account.objects.filter(pk=other.account.pk).update(status=Account.Status.CLOSED)
    [run] = close(JAN_31)
    assert run.status == CloseOfBusinessRun.Status.COMPLETED_WITH_ERRORS
    assert run.errors[0]["job"] == "interest" and run.errors[0]["account"] == other.account.pk
    assert balance(saver.account) == D("100509.59")
    assert not InterestPosting.objects.filter(account=other.account).exists()
    assert ledger_problems() == []
