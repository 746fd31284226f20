"""PostgreSQL itself refuses to commit an unbalanced or mixed-currency ledger transaction
(migration transactions/0005), whatever SQL wrote it."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from tests.factories import CustomerFactory, fund
from transactions import services
from transactions.audit import find_ledger_problems
from transactions.models import Account, Entry, Transaction

pytestmark = pytest.mark.postgres


def insert_transaction(cursor, source, destination, currency="BDT") -> int:
    cursor.execute(
        "INSERT INTO transactions_transaction (reference, kind, amount, currency, source_id, destination_id,"
        " description, created_at) VALUES (%s, 'transfer', 5.00, %s, %s, %s, 'raw', now()) RETURNING id",
        [services.new_reference(), currency, source.pk, destination.pk],
    )
    return cursor.fetchone()[0]


def insert_entry(cursor, tx_id, account, amount):
    cursor.execute(
        "INSERT INTO transactions_entry (transaction_id, account_id, amount, balance_after) VALUES (%s, %s, %s, 0)",
        [tx_id, account.pk, amount],
    )


@pytest.fixture
def two_accounts(db):
    first, second = CustomerFactory(), CustomerFactory()
    return first.account, second.account


def check_now(cursor):
    """Fire the deferred triggers now, as COMMIT would (the test's transaction never commits)."""
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@pytest.mark.django_db
def test_unbalanced_entries_are_refused_at_commit(two_accounts):
    source, destination = two_accounts
    with pytest.raises(IntegrityError, match="unbalanced: its entries sum to -5.00"):
        with transaction.atomic(), connection.cursor() as cursor:
            tx_id = insert_transaction(cursor, source, destination)
            insert_entry(cursor, tx_id, source, "-5.00")  # no second leg
            check_now(cursor)


@pytest.mark.django_db
def test_entries_may_be_unbalanced_until_commit(two_accounts):
    source, destination = two_accounts
    with transaction.atomic(), connection.cursor() as cursor:
        tx_id = insert_transaction(cursor, source, destination)
        insert_entry(cursor, tx_id, source, "-5.00")
        insert_entry(cursor, tx_id, destination, "2.00")
        insert_entry(cursor, tx_id, destination, "3.00")  # balanced by its third leg
        check_now(cursor)
    assert sum(Entry.objects.filter(transaction_id=tx_id).values_list("amount", flat=True)) == 0


@pytest.mark.django_db
def test_a_leg_added_later_to_a_balanced_transaction_is_refused(two_accounts):
    fund(two_accounts[0].customer, "10.00")
    deposit = Transaction.objects.get(kind="deposit")
    with pytest.raises(IntegrityError, match="unbalanced"):
        with transaction.atomic(), connection.cursor() as cursor:
            insert_entry(cursor, deposit.pk, two_accounts[1], "0.01")
            check_now(cursor)


@pytest.mark.django_db
def test_mixed_currencies_are_refused(two_accounts):
    source, destination = two_accounts
    Account.objects.filter(pk=destination.pk).update(currency="USD")
    with pytest.raises(IntegrityError, match="mixes currencies"):
        with transaction.atomic(), connection.cursor() as cursor:
            tx_id = insert_transaction(cursor, source, destination)
            insert_entry(cursor, tx_id, source, "-5.00")
            insert_entry(cursor, tx_id, destination, "5.00")
            check_now(cursor)


@pytest.mark.django_db(transaction=True)
def test_a_real_commit_is_refused_and_leaves_nothing():
    source, destination = CustomerFactory().account, CustomerFactory().account
    before = Transaction.objects.count()
    with pytest.raises(IntegrityError, match="unbalanced"):
        with transaction.atomic(), connection.cursor() as cursor:
            tx_id = insert_transaction(cursor, source, destination)
            insert_entry(cursor, tx_id, source, "-5.00")
            insert_entry(cursor, tx_id, destination, "4.99")
    assert Transaction.objects.count() == before
    # the services' postings commit through the trigger
    fund(source.customer, "10.00")
    services.transfer(source=source, recipient_account_no=destination.account_no, amount=Decimal("3.00"),
                      performed_by=None)
    assert find_ledger_problems() == []
