"""GET /api/reports/summary/: staff figures per period, checked against the ledger itself."""

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Customer
from loans import services as loans
from staff.roles import set_role
from tests.conftest import client_for
from tests.factories import CustomerFactory, ManagerFactory
from transactions import services as ledger
from transactions.models import Account, Entry, Transaction

from .seeding import clock_at, days_ago, run_in_time_order

pytestmark = pytest.mark.django_db

URL = "/api/reports/summary/"
SERIES_KINDS = {"deposits": "deposit", "withdrawals": "withdrawal", "transfers": "transfer",
                "loan_disbursements": "loan_disbursement", "loan_repayments": "loan_repayment",
                "reversals": "reversal"}


@pytest.fixture(autouse=True)
def local_cache(settings):
    # Throttles and the report cache in memory: the query counts below are the report's own.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def seed_activity():
    """Two weeks of movements of every kind, a loan with installments past due, a reversal,
    posted in time order."""
    manager = ManagerFactory()
    with clock_at(days_ago(40)):
        CustomerFactory()  # before the ranges below: not a new customer of the reports
    with clock_at(days_ago(20)):
        alice, bob = CustomerFactory(), CustomerFactory()
    events = []
    for day in range(14, 0, -1):
        amount = Decimal("100.00") + day
        events.append((days_ago(day, hour=9), lambda amount=amount: ledger.deposit(
            account=alice.account, amount=amount, performed_by=None)))
        events.append((days_ago(day, hour=11), lambda: ledger.withdraw(
            account=alice.account, amount=Decimal("10.50"), performed_by=alice.user)))
        if day % 2:
            events.append((days_ago(day, hour=15), lambda: ledger.transfer(
                source=alice.account, recipient_account_no=bob.account.account_no,
                amount=Decimal("20.00"), performed_by=alice.user)))
        if day % 3 == 0:
            events.append((days_ago(day, hour=16), lambda: ledger.deposit_from_gateway(account=bob.account, amount=Decimal("75.25"))))
    state = {}

    def borrow():
        state["carol"] = carol = CustomerFactory()
        loan = loans.request_loan(customer=carol, amount_requested=Decimal("1200.00"), term_months=6)
        # Approved as of 75 days ago: two installments are past due, one of them by over 30 days.
        state["loan"] = loans.approve_loan(loan=loan, amount_approved=Decimal("1200.00"), decided_by=manager.user,
                                           today=timezone.localdate() - timedelta(days=75))

    def repay_and_mistake():
        loans.repay_loan(loan=state["loan"], amount=Decimal("100.00"), performed_by=state["carol"].user)
        state["mistake"] = ledger.deposit(account=state["carol"].account, amount=Decimal("5.00"), performed_by=None).transaction

    events += [
        (days_ago(3, hour=13), borrow),
        (days_ago(2, hour=13), repay_and_mistake),
        (days_ago(1, hour=13), lambda: ledger.reverse(original=state["mistake"], reason="Typed twice",
                                                     performed_by=manager.user)),
    ]
    run_in_time_order(events)
    return manager


def independent_figures(date_from, date_to):
    """The same figures computed row by row in Python from the ledger, not by the selectors."""
    flows = defaultdict(lambda: [0, Decimal("0.00")])
    for tx in Transaction.objects.select_related("source"):
        day = timezone.localtime(tx.created_at).date()
        if not date_from <= day <= date_to:
            continue
        name = "gateway_payments" if tx.source.code == "gateway_clearing" else \
            {kind: series for series, kind in SERIES_KINDS.items()}[tx.kind]
        flows[(day, name)][0] += 1
        flows[(day, name)][1] += tx.amount
    end_of_day = {}
    balance = Decimal("0.00")
    day_balances = defaultdict(Decimal)
    for entry in Entry.objects.filter(account__kind="customer").select_related("transaction"):
        day_balances[timezone.localtime(entry.transaction.created_at).date()] += entry.amount
    opening = sum((amount for day, amount in day_balances.items() if day < date_from), Decimal("0.00"))
    balance = opening
    day = date_from
    while day <= date_to:
        balance += day_balances.get(day, Decimal("0.00"))
        end_of_day[day] = balance
        day += timedelta(days=1)
    new_customers = defaultdict(int)
    for customer in Customer.objects.all():
        new_customers[timezone.localtime(customer.created_at).date()] += 1
    return flows, opening, end_of_day, new_customers


def test_daily_summary_matches_the_ledger_row_by_row():
    manager = seed_activity()
    today = timezone.localdate()
    date_from, date_to = today - timedelta(days=20), today
    response = client_for(manager.user).get(URL, {"from": date_from, "to": date_to, "interval": "day"})
    assert response.status_code == 200, response.content
    body = response.json()
    flows, opening, end_of_day, new_customers = independent_figures(date_from, date_to)

    assert len(body["periods"]) == 21
    seen_kinds = set()
    for period in body["periods"]:
        day = period["period_start"]
        assert period["period_end"] == day
        day = date_from.fromisoformat(day)
        for name in [*SERIES_KINDS, "gateway_payments"]:
            count, volume = flows.get((day, name), (0, Decimal("0.00")))
            assert period[name] == {"count": count, "volume": f"{volume:.2f}"}, (day, name)
            if count:
                seen_kinds.add(name)
        assert period["customer_balances"] == f"{end_of_day[day]:.2f}"
        assert period["new_customers"] == new_customers.get(day, 0)
    assert seen_kinds == {*SERIES_KINDS, "gateway_payments"}  # the seed really covers every series

    totals = body["totals"]
    assert totals["deposits"]["count"] == 15  # 14 at the counter + the mistaken one; gateway ones apart
    assert totals["gateway_payments"] == {"count": 4, "volume": "301.00"}
    assert totals["new_customers"] == 3
    assert body["customer_balances"]["opening"] == f"{opening:.2f}" == "0.00"
    current = sum(a.balance for a in Account.objects.filter(kind="customer"))
    assert body["customer_balances"]["closing"] == body["customer_balances"]["current"] == f"{current:.2f}"
    assert body["periods"][-1]["customer_balances"] == f"{current:.2f}"
    assert body["currency"] == "BDT"


def test_loan_book_and_overdue_buckets():
    manager = seed_activity()
    body = client_for(manager.user).get(URL).json()
    book = {row["status"]: row for row in body["loan_book"]}
    assert set(book) == {"pending", "approved", "rejected", "cancelled", "paid"}
    assert book["approved"]["count"] == 1
    assert book["approved"]["amount_approved"] == "1200.00"
    from loans.models import Loan

    loan = Loan.objects.get()
    assert book["approved"]["outstanding_principal"] == f"{loan.outstanding_principal:.2f}"
    assert book["pending"] == {"status": "pending", "count": 0, "amount_requested": "0.00", "amount_approved": "0.00",
                               "outstanding_principal": "0.00", "outstanding_interest": "0.00"}
    overdue = {row["days_past_due"]: row for row in body["loans_overdue"]}
    assert list(overdue) == ["1-30", "31-60", "61-90", "90+"]
    today = timezone.localdate()
    late = [i for i in loan.installments.all() if i.status != "paid" and i.due_date < today]
    assert sum(row["installments"] for row in overdue.values()) == len(late) == 2
    assert overdue["31-60"]["installments"] == 1 and overdue["1-30"]["installments"] == 1
    assert sum(Decimal(row["amount_due"]) for row in overdue.values()) == sum(i.amount_due for i in late)


@pytest.mark.parametrize("interval, periods", [("week", 4), ("month", 2)])
def test_weeks_and_months_add_up_to_the_days(interval, periods):
    manager = seed_activity()
    client = client_for(manager.user)
    today = timezone.localdate()
    date_from = today - timedelta(days=20)
    days = client.get(URL, {"from": date_from, "to": today, "interval": "day"}).json()
    grouped = client.get(URL, {"from": date_from, "to": today, "interval": interval}).json()
    assert periods - 1 <= len(grouped["periods"]) <= periods
    assert grouped["periods"][0]["period_start"] == str(date_from)  # clipped to the range
    assert grouped["periods"][-1]["period_end"] == str(today)
    assert grouped["totals"] == days["totals"]
    assert grouped["periods"][-1]["customer_balances"] == days["periods"][-1]["customer_balances"]
    for period in grouped["periods"]:
        inside = [d for d in days["periods"] if period["period_start"] <= d["period_start"] <= period["period_end"]]
        assert period["deposits"]["count"] == sum(d["deposits"]["count"] for d in inside)
        assert period["customer_balances"] == inside[-1]["customer_balances"]


def test_query_count_does_not_grow_with_the_range(django_assert_num_queries):
    manager = seed_activity()
    client = client_for(manager.user)
    today = timezone.localdate()
    client.get(URL, {"interval": "month"})  # the steady state: the staff member's capabilities are cached
    # Auth (one query: the user with its profiles) + seven aggregates.
    with django_assert_num_queries(8):
        assert client.get(URL, {"from": today, "to": today}).status_code == 200
    with django_assert_num_queries(8):
        assert client.get(URL, {"from": today - timedelta(days=900), "to": today, "interval": "week"}).status_code == 200
    with django_assert_num_queries(8):
        assert client.get(URL, {"from": today - timedelta(days=364), "to": today, "interval": "day"}).status_code == 200


def test_summary_is_cached_briefly(django_assert_num_queries, settings):
    manager = seed_activity()
    client = client_for(manager.user)
    first = client.get(URL, {"interval": "week"}).json()
    alice = Account.objects.filter(kind="customer").first()
    ledger.deposit(account=alice, amount=Decimal("1.00"), performed_by=None)
    with django_assert_num_queries(1):  # authentication only
        again = client.get(URL, {"interval": "week"}).json()
    assert again == first  # the new deposit shows once the cache entry expires
    settings.REPORTS_CACHE_SECONDS = 0
    from django.core.cache import cache

    cache.clear()
    fresh = client.get(URL, {"interval": "week"}).json()
    assert fresh["totals"]["deposits"]["count"] == first["totals"]["deposits"]["count"] + 1


def test_csv_has_one_row_per_period():
    manager = seed_activity()
    today = timezone.localdate()
    response = client_for(manager.user).get(URL, {"from": today - timedelta(days=6), "to": today, "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    lines = response.content.decode().strip().splitlines()
    assert lines[0].startswith("period_start,period_end,deposits_count,deposits_volume,withdrawals_count")
    assert lines[0].endswith("new_customers,customer_balances")
    assert len(lines) == 1 + 7
    json_body = client_for(manager.user).get(URL, {"from": today - timedelta(days=6), "to": today}).json()
    last = lines[-1].split(",")
    assert last[0] == str(today)
    assert last[-1] == json_body["periods"][-1]["customer_balances"]


def test_customers_and_strangers_are_refused(customer_client, api_client):
    assert customer_client.get(URL).status_code == 403
    assert api_client.get(URL).status_code == 401


@pytest.mark.parametrize("role, allowed", [("branch_manager", True), ("auditor", True), ("teller", False),
                                           ("loan_officer", False)])
def test_branch_managers_and_auditors_see_the_reports(role, allowed):
    staff = ManagerFactory()
    set_role(staff.user, role)
    response = client_for(staff.user).get(URL)
    assert response.status_code == (200 if allowed else 403)


@pytest.mark.parametrize("params, field", [
    ({"from": "2026-02-10", "to": "2026-02-01"}, "from"),
    ({"from": "yesterday"}, "from"),
    ({"interval": "year"}, "interval"),
    ({"from": "9999-12-30", "to": "9999-12-31"}, "from"),
    ({"to": "0001-01-05"}, "to"),
    ({"from": "2000-01-01", "to": "2026-01-01", "interval": "day"}, "interval"),
])
def test_bad_parameters_are_400_with_a_message(manager_client, params, field):
    response = manager_client.get(URL, params)
    assert response.status_code == 400, response.content
    assert field in response.json()
