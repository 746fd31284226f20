"""Recompute the ledger from its entries and report every broken invariant.

Used by `manage.py audit_ledger`, the tests and the benchmark. Three aggregate queries,
whatever the size of the ledger.
"""

from decimal import Decimal

from django.db.models import Count, DecimalField, F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Round

from .models import Account, Entry

CENTS = DecimalField(max_digits=22, decimal_places=0)


def _cents(field: str):
    """The amount in whole cents. SQLite keeps decimals as floating point and sums them as
    floats (a three-leg loan repayment "sums" to 2.8e-14); sums of whole cents are exact on
    every backend. PostgreSQL's numeric was exact already; there this changes nothing."""
    return Round(F(field) * Value(100, output_field=CENTS), output_field=CENTS)


def _from_cents(cents) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def find_ledger_problems(limit: int = 50) -> list[str]:
    problems: list[str] = []

    unbalanced = (
        Entry.objects.values("transaction__reference")
        .annotate(total_cents=Sum(_cents("amount")), legs=Count("id"))
        .exclude(total_cents=0)
        .order_by("transaction__reference")[:limit]
    )
    for row in unbalanced:
        total = _from_cents(row["total_cents"])
        problems.append(f"transaction {row['transaction__reference']}: entries sum to {total}, not 0")

    entry_sum = (
        Entry.objects.filter(account=OuterRef("pk"))
        .values("account")
        .annotate(total_cents=Sum(_cents("amount")))
        .values("total_cents")
    )
    accounts = Account.objects.annotate(
        entry_cents=Coalesce(Subquery(entry_sum, output_field=CENTS), Value(0, output_field=CENTS), output_field=CENTS)
    ).values_list("account_no", "kind", "balance", "entry_cents")
    total = Decimal("0.00")
    for account_no, kind, balance, entry_cents in accounts.iterator(chunk_size=2000):
        total += balance
        entry_total = _from_cents(entry_cents)
        if balance != entry_total and len(problems) < limit:
            problems.append(f"account {account_no}: balance {balance} but its entries sum to {entry_total}")
        if kind == Account.Kind.CUSTOMER and balance < 0 and len(problems) < limit:
            problems.append(f"account {account_no}: customer balance is negative ({balance})")
    if total != 0:
        problems.append(f"the balances of all accounts sum to {total}, not 0")
    return problems
