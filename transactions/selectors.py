"""Reads of the ledger: history lists and statements. Each is a fixed number of queries."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone
from rest_framework import status

from accounts.models import User
from bank_project.errors import DomainError

from .models import Account, Entry, Transaction
from .services import AccountNotFound

_PARTIES = (
    "source__customer__user",
    "destination__customer__user",
)


def internal_balances() -> dict[str, Decimal]:
    """The balance of each of the bank's own accounts, by code: the sum over its shards
    (an internal account is LEDGER_INTERNAL_SHARDS rows, see services.internal_shard)."""
    rows = Account.objects.filter(kind=Account.Kind.INTERNAL).values("code").annotate(total=Sum("balance"))
    return {row["code"]: row["total"] for row in rows.order_by("code")}


def internal_balance(code: str) -> Decimal:
    """The balance of the bank's own account `code`, all shards rolled up."""
    return internal_balances().get(code, Decimal("0.00"))


def transactions_for(user: User) -> QuerySet[Transaction]:
    """Every transaction the user may see: a manager all, a customer those touching their account."""
    transactions = Transaction.objects.select_related(
        "source", "destination", "performed_by", "reverses", "reversal"
    ).order_by("-id")
    if user.is_manager:
        return transactions
    account_id = customer_account_id(user)
    return transactions.filter(Q(source_id=account_id) | Q(destination_id=account_id))


# What a row of the ledger list shows, read as flat values: building six model instances
# per row (the transaction and its joined accounts, user and reversals) was most of the
# CPU of a 100-row page (docs/benchmarks.md).
TRANSACTION_ROW_COLUMNS = (
    "id", "reference", "kind", "amount", "currency", "description", "created_at", "performed_by_id",
    "source__account_no", "destination__account_no", "performed_by__username", "reverses__reference",
    "reversal__reference",
)


def transaction_rows_for(user: User) -> QuerySet:
    """transactions_for(user) as dicts of TRANSACTION_ROW_COLUMNS, for the list."""
    return transactions_for(user).values(*TRANSACTION_ROW_COLUMNS)


def movements_for(user: User, kind: str) -> QuerySet[Transaction]:
    """The caller's deposits, withdrawals or transfers (a manager: everyone's), newest first."""
    # Both parties with their users: names for everyone, the manager pages' customer details.
    transactions = Transaction.objects.filter(kind=kind).select_related("reversal", *_PARTIES)
    if kind == Transaction.Kind.DEPOSIT:
        transactions = transactions.select_related("payment")
    transactions = transactions.order_by("-id")
    if user.is_manager:
        return transactions
    account_id = customer_account_id(user)
    if kind == Transaction.Kind.DEPOSIT:
        return transactions.filter(destination_id=account_id)
    if kind == Transaction.Kind.WITHDRAWAL:
        return transactions.filter(source_id=account_id)
    return transactions.filter(Q(source_id=account_id) | Q(destination_id=account_id))


def customer_account_id(user: User) -> int | None:
    customer = getattr(user, "customer", None) if user.is_customer else None
    if customer is None:
        return None
    account = getattr(customer, "account", None)
    return account.pk if account is not None else None


class NoBankAccount(DomainError):
    status_code = status.HTTP_403_FORBIDDEN
    code = "permission_denied"
    default_message = "You have no bank account yet; create your customer profile first."


def own_account(user: User) -> Account:
    """The caller's customer account, as loaded with the user by authentication."""
    account = getattr(user.customer, "account", None) if user.is_customer else None
    if account is None:
        raise NoBankAccount()
    return account


def deposit_account(user: User, account_no: str | None) -> Account:
    """The account a deposit credits: a customer's own; a manager's teller deposit names one."""
    if user.is_manager and account_no:
        account = Account.objects.filter(account_no=account_no, kind=Account.Kind.CUSTOMER).first()
        if account is None:
            raise AccountNotFound()
        return account
    if user.is_customer:
        account = own_account(user)
        if account_no and account.account_no != account_no:
            raise ValidationError({"account_no": ["You can deposit only into your own account; send a transfer instead."]})
        return account
    raise ValidationError({"account_no": ["Managers must say which account the deposit is for."]})


def statement_account(user: User, account_no: str | None) -> Account:
    """The account a statement is about: a customer's own; a manager names one."""
    accounts = accounts_for(user)
    if account_no:
        account = accounts.filter(account_no=account_no).first()
    elif user.is_customer:
        account = accounts.first()
    else:
        raise ValidationError({"account_no": ["Managers must say which account to report on."]})
    if account is None:
        raise Http404("No such account.")
    return account


def accounts_for(user: User) -> QuerySet[Account]:
    accounts = Account.objects.select_related("customer__user").order_by("id")
    if user.is_manager:
        return accounts
    return accounts.filter(customer__user=user)


class TransactionFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Transaction.Kind.choices)
    account = django_filters.CharFilter(method="filter_account", help_text="An account number, either side.")
    # Bounded whole numbers: a huge or fractional id is a 400, not a database overflow (a 500).
    customer = django_filters.NumberFilter(
        method="filter_customer", min_value=1, max_value=2**63 - 1, decimal_places=0,
        help_text="A customer id, either side.",
    )
    date_from = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte")
    date_to = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte")
    amount_min = django_filters.NumberFilter(field_name="amount", lookup_expr="gte")
    amount_max = django_filters.NumberFilter(field_name="amount", lookup_expr="lte")

    class Meta:
        model = Transaction
        fields = ["kind", "account", "customer", "date_from", "date_to", "amount_min", "amount_max"]

    def filter_account(self, queryset, name, value):
        return queryset.filter(Q(source__account_no=value) | Q(destination__account_no=value))

    def filter_customer(self, queryset, name, value):
        return queryset.filter(Q(source__customer_id=value) | Q(destination__customer_id=value))


def statement(*, account: Account, date_from: date, date_to: date, max_lines: int) -> dict:
    """The account's entries between two days (inclusive), with opening and closing balance.

    Entries on one account are written under its row lock, so their ids follow time.
    """
    tz = timezone.get_current_timezone()
    start = datetime.combine(date_from, time.min, tzinfo=tz)
    end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=tz)
    entries = Entry.objects.filter(account=account)
    before = entries.filter(transaction__created_at__lt=start).order_by("-id").values_list("balance_after", flat=True)
    opening = before.first() or Decimal("0.00")
    in_range = entries.filter(transaction__created_at__gte=start, transaction__created_at__lt=end)
    # One row past the limit tells whether the statement is truncated, without a COUNT.
    lines = list(in_range.select_related("transaction").order_by("id")[: max_lines + 1])
    truncated = len(lines) > max_lines
    lines = lines[:max_lines]
    totals = in_range.aggregate(
        credits=Sum("amount", filter=Q(amount__gt=0)), debits=Sum("amount", filter=Q(amount__lt=0))
    )
    closing_row = in_range.order_by("-id").values_list("balance_after", flat=True).first()
    return {
        "account_no": account.account_no,
        "currency": account.currency,
        "date_from": date_from,
        "date_to": date_to,
        "opening_balance": opening,
        "closing_balance": closing_row if closing_row is not None else opening,
        "total_credits": totals["credits"] or Decimal("0.00"),
        "total_debits": -(totals["debits"] or Decimal("0.00")),
        "truncated": truncated,
        "entries": [
            {
                "date": line.transaction.created_at,
                "reference": line.transaction.reference,
                "kind": line.transaction.kind,
                "description": line.transaction.description,
                "amount": line.amount,
                "balance_after": line.balance_after,
            }
            for line in lines
        ],
    }
