"""Recompute the ledger from its entries and report every broken invariant.

Used by `manage.py audit_ledger`, the tests and the benchmark. Three aggregate queries,
whatever the size of the ledger.
"""

from decimal import Decimal

from django.db.models import Count, DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from .models import Account, Entry


def find_ledger_problems(limit: int = 50) -> list[str]:
    problems: list[str] = []

    unbalanced = (
        Entry.objects.values("transaction__reference")
        .annotate(total=Sum("amount"), legs=Count("id"))
        .exclude(total=0)
        .order_by("transaction__reference")[:limit]
    )
    for row in unbalanced:
        problems.append(f"transaction {row['transaction__reference']}: entries sum to {row['total']}, not 0")

    entry_sum = (
        Entry.objects.filter(account=OuterRef("pk"))
        .values("account")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    accounts = Account.objects.annotate(
        entry_total=Coalesce(
            Subquery(entry_sum, output_field=DecimalField(max_digits=18, decimal_places=2)),
            Value(Decimal("0.00")),
            output_field=DecimalField(max_digits=18, decimal_places=2),
        )
    ).values_list("account_no", "kind", "balance", "entry_total")
    total = Decimal("0.00")
    for account_no, kind, balance, entry_total in accounts.iterator(chunk_size=2000):
        total += balance
        if balance != entry_total and len(problems) < limit:
            problems.append(f"account {account_no}: balance {balance} but its entries sum to {entry_total}")
        if kind == Account.Kind.CUSTOMER and balance < 0 and len(problems) < limit:
            problems.append(f"account {account_no}: customer balance is negative ({balance})")
    if total != 0:
        problems.append(f"the balances of all accounts sum to {total}, not 0")
    return problems
