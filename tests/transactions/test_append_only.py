"""History cannot change: the database itself refuses UPDATE and DELETE on the ledger."""

from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction

from tests.factories import fund
from transactions.models import Entry, Transaction

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger_row(customer):
    fund(customer, "10.00")
    return Transaction.objects.get()


def _refused(action):
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic():
            action()


def test_queryset_update_and_delete_of_entries_are_refused(ledger_row):
    _refused(lambda: Entry.objects.update(amount=Decimal("999.00")))
    _refused(lambda: Entry.objects.all().delete())
    assert Entry.objects.filter(amount=Decimal("999.00")).count() == 0
    assert Entry.objects.count() == 2


def test_queryset_update_and_delete_of_transactions_are_refused(ledger_row):
    _refused(lambda: Transaction.objects.update(amount=Decimal("999.00")))
    _refused(lambda: Transaction.objects.filter(pk=ledger_row.pk)._raw_delete(connection.alias))
    ledger_row.refresh_from_db()
    assert ledger_row.amount == Decimal("10.00")


def test_raw_sql_update_and_delete_are_refused(ledger_row):
    def raw(sql):
        with connection.cursor() as cursor:
            cursor.execute(sql)

    _refused(lambda: raw("UPDATE transactions_entry SET amount = 0.01"))
    _refused(lambda: raw("DELETE FROM transactions_entry"))
    _refused(lambda: raw("UPDATE transactions_transaction SET description = 'edited'"))
    _refused(lambda: raw("DELETE FROM transactions_transaction"))
    assert Entry.objects.count() == 2


def test_saving_a_loaded_transaction_again_is_refused(ledger_row):
    ledger_row.description = "rewritten"
    _refused(ledger_row.save)
