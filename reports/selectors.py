"""Bank-wide figures for staff: flows per interval, balances, new customers, the loan book.

Every figure comes from a fixed number of aggregate queries (seven), whatever the range or
the number of rows: the database groups by period, Python only fills the empty periods.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Case, CharField, Count, DateField, F, IntegerField, Q, Sum, Value, When
from django.db.models.functions import Trunc
from django.utils import timezone

from accounts.models import Customer
from bank_project.money import ZERO
from loans.models import Installment, Loan
from transactions.models import Account, Entry, Transaction

INTERVALS = ("day", "week", "month")
# A report has at most this many periods: a year of days, ten years of weeks, forty of months.
MAX_PERIODS = 1000

# A movement out of the gateway clearing account (LEDGER.md) into a customer account is a
# deposit the payments app settled (`deposit_from_gateway`): the series reads the ledger only,
# so it needs no join to payments and counts each settled payment once.
GATEWAY_PAYMENTS = "gateway_payments"

# Series name -> the transaction kind it counts (gateway payments are told apart by source).
FLOW_SERIES = {
    "deposits": Transaction.Kind.DEPOSIT,
    "withdrawals": Transaction.Kind.WITHDRAWAL,
    "transfers": Transaction.Kind.TRANSFER,
    GATEWAY_PAYMENTS: None,
    "loan_disbursements": Transaction.Kind.LOAN_DISBURSEMENT,
    "loan_repayments": Transaction.Kind.LOAN_REPAYMENT,
    "reversals": Transaction.Kind.REVERSAL,
}

# Overdue installments by days past due: (label, from day, to day), the latest last.
OVERDUE_BUCKETS = (("1-30", 1, 30), ("31-60", 31, 60), ("61-90", 61, 90), ("90+", 91, None))


@dataclass(frozen=True)
class Period:
    start: date  # first day counted (the range's start when the period begins before it)
    end: date  # last day counted
    key: date  # the database's truncated date for this period


def period_start(day: date, interval: str) -> date:
    if interval == "week":
        return day - timedelta(days=day.weekday())  # Monday, as the database truncates
    if interval == "month":
        return day.replace(day=1)
    return day


def next_period_start(start: date, interval: str) -> date:
    if interval == "week":
        return start + timedelta(days=7)
    if interval == "month":
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start + timedelta(days=1)


def periods_between(date_from: date, date_to: date, interval: str) -> list[Period]:
    periods = []
    key = period_start(date_from, interval)
    while key <= date_to:
        following = next_period_start(key, interval)
        periods.append(Period(start=max(key, date_from), end=min(following - timedelta(days=1), date_to), key=key))
        key = following
    return periods


def count_periods(date_from: date, date_to: date, interval: str) -> int:
    """How many periods a report would have, without building them."""
    if interval == "day":
        return (date_to - date_from).days + 1
    if interval == "week":
        return (period_start(date_to, "week") - period_start(date_from, "week")).days // 7 + 1
    return (date_to.year - date_from.year) * 12 + date_to.month - date_from.month + 1


def day_bounds(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    """[start of the first day, start of the day after the last) in the bank's time zone."""
    tz = timezone.get_current_timezone()
    return (
        datetime.combine(date_from, time.min, tzinfo=tz),
        datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=tz),
    )


def _period_of(field: str, interval: str):
    return Trunc(field, interval, output_field=DateField(), tzinfo=timezone.get_current_timezone())


def _as_date(value) -> date:
    # SQLite may hand back a datetime for a truncated date; PostgreSQL a date.
    return value.date() if isinstance(value, datetime) else value


def summary(*, date_from: date, date_to: date, interval: str, today: date | None = None) -> dict:
    """The staff report for [date_from, date_to], grouped by `interval` (day, week, month)."""
    periods = periods_between(date_from, date_to, interval)
    start, end = day_bounds(date_from, date_to)

    flows = _flows(start, end, interval)
    net_change = _customer_net_change(start, end, interval)
    new_customers = _new_customers(start, end, interval)
    balances = _customer_balances(start, end)

    rows = []
    balance = balances["opening"]
    totals = {name: {"count": 0, "volume": ZERO} for name in FLOW_SERIES}
    total_new = 0
    for period in periods:
        row = {"period_start": period.start, "period_end": period.end}
        for name in FLOW_SERIES:
            count, volume = flows.get((period.key, name), (0, ZERO))
            row[name] = {"count": count, "volume": volume}
            totals[name]["count"] += count
            totals[name]["volume"] += volume
        row["new_customers"] = new_customers.get(period.key, 0)
        total_new += row["new_customers"]
        balance += net_change.get(period.key, ZERO)
        row["customer_balances"] = balance
        rows.append(row)
    return {
        "date_from": date_from,
        "date_to": date_to,
        "interval": interval,
        "periods": rows,
        "totals": {**totals, "new_customers": total_new},
        "customer_balances": balances,
        "loan_book": _loan_book(),
        "loans_overdue": loan_overdue_buckets(today or timezone.localdate()),
    }


def _flows(start: datetime, end: datetime, interval: str) -> dict:
    """{(period, series): (count, volume)} in one grouped query."""
    series = Case(
        When(source__code=Account.GATEWAY_CLEARING, then=Value(GATEWAY_PAYMENTS)),
        default=F("kind"),
        output_field=CharField(),
    )
    rows = (
        Transaction.objects.filter(created_at__gte=start, created_at__lt=end)
        .annotate(period=_period_of("created_at", interval), series=series)
        .values("period", "series")
        .annotate(count=Count("id"), volume=Sum("amount"))
        .order_by()
    )
    kind_to_series = {kind: name for name, kind in FLOW_SERIES.items() if kind is not None}
    result = {}
    for row in rows:
        name = GATEWAY_PAYMENTS if row["series"] == GATEWAY_PAYMENTS else kind_to_series.get(row["series"])
        if name is None:
            continue  # a kind this report does not know yet (a later app's)
        key = (_as_date(row["period"]), name)
        count, volume = result.get(key, (0, ZERO))
        result[key] = (count + row["count"], volume + (row["volume"] or ZERO))
    return result


def _customer_entries():
    return Entry.objects.filter(account__kind=Account.Kind.CUSTOMER)


def _customer_net_change(start: datetime, end: datetime, interval: str) -> dict:
    """{period: net change of all customer balances} in one grouped query."""
    rows = (
        _customer_entries()
        .filter(transaction__created_at__gte=start, transaction__created_at__lt=end)
        .annotate(period=_period_of("transaction__created_at", interval))
        .values("period")
        .annotate(net=Sum("amount"))
        .order_by()
    )
    return {_as_date(row["period"]): row["net"] or ZERO for row in rows}


def _customer_balances(start: datetime, end: datetime) -> dict:
    """Customers' money at the start and end of the range (from the ledger) and now (from the
    balances): two aggregate queries."""
    moved = _customer_entries().aggregate(
        before=Sum("amount", filter=Q(transaction__created_at__lt=start)),
        until_end=Sum("amount", filter=Q(transaction__created_at__lt=end)),
    )
    current = Account.objects.filter(kind=Account.Kind.CUSTOMER).aggregate(total=Sum("balance"), accounts=Count("id"))
    return {
        "opening": moved["before"] or ZERO,
        "closing": moved["until_end"] or ZERO,
        "current": current["total"] or ZERO,
        "accounts": current["accounts"],
    }


def _new_customers(start: datetime, end: datetime, interval: str) -> dict:
    rows = (
        Customer.objects.filter(created_at__gte=start, created_at__lt=end)
        .annotate(period=_period_of("created_at", interval))
        .values("period")
        .annotate(count=Count("id"))
        .order_by()
    )
    return {_as_date(row["period"]): row["count"] for row in rows}


def _loan_book() -> list[dict]:
    """Loans by status, now: how many, how much was asked and lent, and what is still owed."""
    rows = {
        row["status"]: row
        for row in Loan.objects.values("status")
        .annotate(
            count=Count("id"),
            requested=Sum("amount_requested"),
            approved=Sum("amount_approved"),
            outstanding_principal=Sum("outstanding_principal"),
            outstanding_interest=Sum("outstanding_interest"),
        )
        .order_by()
    }
    book = []
    for status in Loan.Status.values:
        row = rows.get(status, {})
        book.append(
            {
                "status": status,
                "count": row.get("count", 0),
                "amount_requested": row.get("requested") or ZERO,
                "amount_approved": row.get("approved") or ZERO,
                "outstanding_principal": row.get("outstanding_principal") or ZERO,
                "outstanding_interest": row.get("outstanding_interest") or ZERO,
            }
        )
    return book


def loan_overdue_buckets(today: date) -> list[dict]:
    """Late money on approved loans, by days past due: unpaid installments whose due date has
    passed (as `loans.selectors.installment_status` calls them overdue), one grouped query.

    The hook for issue 16 (close of business): when it keeps days-past-due or a grace period
    on the loan, this function reads that instead; the report's shape stays.
    """
    bucket = Case(
        *[
            When(
                Q(due_date__lte=today - timedelta(days=low))
                & (Q() if high is None else Q(due_date__gte=today - timedelta(days=high))),
                then=Value(index),
            )
            for index, (_, low, high) in enumerate(OVERDUE_BUCKETS)
        ],
        output_field=IntegerField(),
    )
    rows = {
        row["bucket"]: row
        for row in Installment.objects.filter(
            loan__status=Loan.Status.APPROVED, due_date__lt=today
        )
        .exclude(status=Installment.Status.PAID)
        .annotate(bucket=bucket)
        .values("bucket")
        .annotate(
            installments=Count("id"),
            loans=Count("loan_id", distinct=True),
            principal=Sum("principal"),
            interest=Sum("interest"),
            principal_paid=Sum("principal_paid"),
            interest_paid=Sum("interest_paid"),
        )
        .order_by()
    }
    result = []
    for index, (label, *_days) in enumerate(OVERDUE_BUCKETS):
        row = rows.get(index)
        due = ZERO
        if row:
            due = row["principal"] + row["interest"] - row["principal_paid"] - row["interest_paid"]
        result.append(
            {
                "days_past_due": label,
                "loans": row["loans"] if row else 0,
                "installments": row["installments"] if row else 0,
                "amount_due": due,
            }
        )
    return result


# --- A customer's own picture ------------------------------------------------------------

DASHBOARD_DAYS = 30
DASHBOARD_MONTHS = 12


def months_back(today: date, months: int) -> date:
    """The first day of the month `months - 1` months before today's (so `months` in all)."""
    index = today.year * 12 + today.month - 1 - (months - 1)
    return date(index // 12, index % 12 + 1, 1)


def customer_dashboard(*, account: Account, today: date) -> dict:
    """End-of-day balances for the last 30 days and money in and out per month for 12 months,
    by kind: three queries, whatever the account's activity.

    A day's closing balance is the opening balance plus the day's entries, the same sum the
    statement's running balance (`balance_after`) carries, because an account's balance is
    the sum of its entries.
    """
    first_day = today - timedelta(days=DASHBOARD_DAYS - 1)
    start, end = day_bounds(first_day, today)
    entries = Entry.objects.filter(account=account)
    opening = (
        entries.filter(transaction__created_at__lt=start).order_by("-id").values_list("balance_after", flat=True).first()
        or ZERO
    )
    per_day = {
        _as_date(row["day"]): row["net"]
        for row in entries.filter(transaction__created_at__gte=start, transaction__created_at__lt=end)
        .annotate(day=_period_of("transaction__created_at", "day"))
        .values("day")
        .annotate(net=Sum("amount"))
        .order_by()
    }
    daily, balance = [], opening
    for offset in range(DASHBOARD_DAYS):
        day = first_day + timedelta(days=offset)
        balance += per_day.get(day, ZERO)
        daily.append({"date": day, "balance": balance})

    first_month = months_back(today, DASHBOARD_MONTHS)
    month_start, _ = day_bounds(first_month, today)
    flows = {}
    for row in (
        entries.filter(transaction__created_at__gte=month_start, transaction__created_at__lt=end)
        .annotate(month=_period_of("transaction__created_at", "month"), kind=F("transaction__kind"))
        .values("month", "kind")
        .annotate(money_in=Sum("amount", filter=Q(amount__gt=0)), money_out=Sum("amount", filter=Q(amount__lt=0)))
        .order_by()
    ):
        flows[(_as_date(row["month"]), row["kind"])] = (row["money_in"] or ZERO, -(row["money_out"] or ZERO))
    monthly, month = [], first_month
    for _ in range(DASHBOARD_MONTHS):
        by_kind = {}
        for kind in Transaction.Kind.values:
            money_in, money_out = flows.get((month, kind), (ZERO, ZERO))
            by_kind[kind] = {"money_in": money_in, "money_out": money_out}
        monthly.append(
            {
                "month": month.strftime("%Y-%m"),
                "money_in": sum((v["money_in"] for v in by_kind.values()), ZERO),
                "money_out": sum((v["money_out"] for v in by_kind.values()), ZERO),
                "by_kind": by_kind,
            }
        )
        month = next_period_start(month, "month")
    return {
        "account_no": account.account_no,
        "currency": account.currency,
        "balance": account.balance,
        "daily_balances": daily,
        "monthly": monthly,
    }
