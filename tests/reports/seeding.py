"""Ledger activity spread over past days, for the report tests.

`created_at` is stamped by the database layer from `timezone.now()` (and the ledger cannot be
edited afterwards), so each movement is posted with the clock moved back to its day.
"""

from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from unittest import mock

from django.db import transaction
from django.utils import timezone

from transactions import services as ledger
from transactions.models import Account, Transaction


def run_in_time_order(events) -> list:
    """Run (moment, callable) pairs oldest first, each with the clock at its moment: entries
    of an account are written in time order in real life, so their ids follow time (the
    statement relies on it)."""
    results = []
    for moment, action in sorted(events, key=lambda event: event[0]):
        with clock_at(moment):
            results.append(action())
    return results


@contextmanager
def clock_at(moment: datetime):
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def days_ago(days: int, hour: int = 12) -> datetime:
    today = timezone.localdate()
    return datetime.combine(today - timedelta(days=days), datetime.min.time(), tzinfo=timezone.get_current_timezone()).replace(hour=hour)


@transaction.atomic
def gateway_payment(*, account: Account, amount: Decimal) -> ledger.Posting:
    """What the payments app (issue 12) posts when the gateway confirms a deposit: the
    customer's account is credited from the gateway clearing account (LEDGER.md)."""
    if not Account.objects.filter(code="gateway_clearing").exists():
        Account.objects.create(kind=Account.Kind.INTERNAL, code="gateway_clearing", name="Gateway clearing")
    accounts = ledger.lock_accounts(ids=[account.pk], codes=["gateway_clearing"])
    customer_account = ledger.by_pk(accounts, account.pk)
    clearing = ledger.by_code(accounts, "gateway_clearing")
    return ledger.post_transaction(
        kind=Transaction.Kind.DEPOSIT, legs=[(customer_account, amount), (clearing, -amount)], amount=amount,
        source=clearing, destination=customer_account, performed_by=None, description="Gateway payment",
    )
