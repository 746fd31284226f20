"""GET /api/dashboard/: a customer's daily balances and monthly flows, checked against the
statement's running balance and the ledger."""

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from loans import services as loans
from tests.conftest import client_for
from tests.factories import CustomerFactory, ManagerFactory
from transactions import services as ledger
from transactions.models import Entry

from .seeding import clock_at, days_ago, run_in_time_order

pytestmark = pytest.mark.django_db

URL = "/api/dashboard/"


def seed_customer_history(customer, other):
    """Money in and out on many days over the last year, some days with several entries."""
    manager = ManagerFactory()
    events = []
    for day in (400, 200, 95, 61, 45, 31, 30, 29, 20, 20, 12, 5, 1, 0):
        amount = Decimal("250.00") + day
        events += [
            (days_ago(day, hour=8), lambda amount=amount: ledger.deposit(
                account=customer.account, amount=amount, performed_by=None)),
            (days_ago(day, hour=10), lambda: ledger.withdraw(
                account=customer.account, amount=Decimal("40.10"), performed_by=customer.user)),
            (days_ago(day, hour=14), lambda: ledger.transfer(
                source=other.account, recipient_account_no=customer.account.account_no,
                amount=Decimal("7.00"), performed_by=other.user)),
        ]
    loan = {}

    def borrow():
        loan["loan"] = loans.request_loan(customer=customer, amount_requested=Decimal("600.00"), term_months=3)
        loan["loan"] = loans.approve_loan(loan=loan["loan"], amount_approved=Decimal("600.00"), decided_by=manager.user)

    events += [
        (days_ago(60), borrow),
        (days_ago(15), lambda: loans.repay_loan(loan=loan["loan"], amount=Decimal("150.00"), performed_by=customer.user)),
        (days_ago(15, hour=13), lambda: ledger.transfer(
            source=customer.account, recipient_account_no=other.account.account_no,
            amount=Decimal("33.33"), performed_by=customer.user)),
    ]
    run_in_time_order(events)


@pytest.fixture
def history():
    customer, other = CustomerFactory(), CustomerFactory()
    with clock_at(days_ago(500)):
        ledger.deposit(account=other.account, amount=Decimal("5000.00"), performed_by=None)
    seed_customer_history(customer, other)
    return customer, other


def test_daily_balances_match_the_statement_running_balance(history):
    customer, _ = history
    client = client_for(customer.user)
    today = timezone.localdate()
    body = client.get(URL).json()
    days = body["daily_balances"]
    assert [d["date"] for d in days] == [str(today - timedelta(days=n)) for n in range(29, -1, -1)]

    statement = client.get("/api/statement/", {"from": days[0]["date"], "to": days[-1]["date"]}).json()
    end_of_day, balance = {}, statement["opening_balance"]
    lines = iter(statement["entries"])
    line = next(lines, None)
    for day in days:
        while line is not None and timezone.localtime(parse_datetime(line["date"])).date() <= date.fromisoformat(day["date"]):
            balance = line["balance_after"]
            line = next(lines, None)
        end_of_day[day["date"]] = balance
    assert {d["date"]: d["balance"] for d in days} == end_of_day
    assert days[-1]["balance"] == statement["closing_balance"] == body["balance"]
    # The window really moves: balances differ from day to day, and the first includes history before it.
    assert len({d["balance"] for d in days}) >= 6
    assert days[0]["balance"] != "0.00"


def test_monthly_flows_by_kind_match_the_ledger(history):
    customer, _ = history
    body = client_for(customer.user).get(URL).json()
    months = body["monthly"]
    assert len(months) == 12
    today = timezone.localdate()
    assert months[-1]["month"] == today.strftime("%Y-%m")
    expected = defaultdict(lambda: [Decimal("0.00"), Decimal("0.00")])
    for entry in Entry.objects.filter(account=customer.account).select_related("transaction"):
        month = timezone.localtime(entry.transaction.created_at).strftime("%Y-%m")
        if month >= months[0]["month"]:
            expected[(month, entry.transaction.kind)][0 if entry.amount > 0 else 1] += abs(entry.amount)
    kinds_seen = set()
    for month in months:
        for kind, flows in month["by_kind"].items():
            money_in, money_out = expected.get((month["month"], kind), (Decimal("0.00"), Decimal("0.00")))
            assert flows == {"money_in": f"{money_in:.2f}", "money_out": f"{money_out:.2f}"}, (month["month"], kind)
            if money_in or money_out:
                kinds_seen.add(kind)
        assert Decimal(month["money_in"]) == sum(Decimal(f["money_in"]) for f in month["by_kind"].values())
        assert Decimal(month["money_out"]) == sum(Decimal(f["money_out"]) for f in month["by_kind"].values())
    assert kinds_seen == {"deposit", "withdrawal", "transfer", "loan_disbursement", "loan_repayment"}
    # The deposit 400 days ago is outside the 12 months.
    total_in = sum(Decimal(m["money_in"]) for m in months)
    assert total_in < sum(e.amount for e in Entry.objects.filter(account=customer.account, amount__gt=0))


def test_a_customer_sees_only_their_own_money(history):
    _, other = history
    body = client_for(other.user).get(URL).json()
    assert body["account_no"] == other.account.account_no
    other.account.refresh_from_db()
    assert body["daily_balances"][-1]["balance"] == f"{other.account.balance:.2f}"
    # other never withdrew: its withdrawal column is empty in every month.
    assert all(m["by_kind"]["withdrawal"]["money_out"] == "0.00" for m in body["monthly"])


def test_query_count_is_fixed(history, django_assert_num_queries, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    customer, _ = history
    client, fresh_client = client_for(customer.user), client_for(CustomerFactory().user)
    with django_assert_num_queries(4):  # authentication + opening balance + days + months
        assert client.get(URL).status_code == 200
    with django_assert_num_queries(4):
        body = fresh_client.get(URL).json()
    assert {d["balance"] for d in body["daily_balances"]} == {"0.00"}


def test_managers_and_strangers_are_refused(manager_client, api_client):
    assert manager_client.get(URL).status_code == 403
    assert api_client.get(URL).status_code == 401
