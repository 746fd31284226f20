"""No hot row: each internal account is LEDGER_INTERNAL_SHARDS rows, a customer's postings
always use the shard of their account, and reports roll the shards up."""

import threading
from decimal import Decimal

import pytest
from django.db import OperationalError, connection, connections, transaction

from tests.factories import CustomerFactory, fund
from transactions import services
from transactions.apps import _ensure_internal_accounts
from transactions.audit import find_ledger_problems
from transactions.models import Account, Entry
from transactions.selectors import internal_balance, internal_balances


def customers_on_distinct_shards(count: int) -> list:
    """Customers whose accounts map to `count` different shards."""
    found, shards = [], set()
    while len(found) < count:
        customer = CustomerFactory()
        shard = services.internal_shard(customer.account.pk)
        if shard not in shards:
            shards.add(shard)
            found.append(customer)
    return found


@pytest.mark.django_db
def test_every_internal_account_has_one_row_per_shard(settings):
    for code in services.INTERNAL_ACCOUNTS:
        shards = sorted(Account.objects.filter(code=code).values_list("shard", flat=True))
        assert shards == list(range(settings.LEDGER_INTERNAL_SHARDS)), code
    assert not Account.objects.filter(kind=Account.Kind.CUSTOMER).exclude(shard=0).exists()


@pytest.mark.django_db
def test_raising_the_shard_count_or_adding_a_code_needs_only_migrate(settings, monkeypatch):
    settings.LEDGER_INTERNAL_SHARDS += 4
    monkeypatch.setitem(services.INTERNAL_ACCOUNTS, "fee_income", "Fee income")
    # what `manage.py migrate` sends when it finishes (and what the test database got)
    _ensure_internal_accounts(sender=None, using="default")
    assert Account.objects.filter(code=Account.CASH).count() == settings.LEDGER_INTERNAL_SHARDS
    assert sorted(Account.objects.filter(code="fee_income").values_list("shard", flat=True)) == list(range(settings.LEDGER_INTERNAL_SHARDS))
    _ensure_internal_accounts(sender=None, using="default")  # idempotent
    assert Account.objects.filter(code="fee_income").count() == settings.LEDGER_INTERNAL_SHARDS


@pytest.mark.django_db
def test_postings_spread_over_shards_and_roll_up_to_one_balance():
    customers = customers_on_distinct_shards(3)
    for customer in customers:
        fund(customer, "100.00")
        services.withdraw(account=customer.account, amount=Decimal("30.00"), performed_by=None)
    used = {
        entry.account.shard
        for entry in Entry.objects.select_related("account").filter(account__code=Account.CASH)
    }
    assert used == {services.internal_shard(c.account.pk) for c in customers} and len(used) == 3
    for customer in customers:  # each customer's postings on their own shard
        shard = Account.objects.get(code=Account.CASH, shard=services.internal_shard(customer.account.pk))
        assert shard.balance == Decimal("-70.00")
    assert internal_balance(Account.CASH) == Decimal("-210.00")
    assert internal_balances()[Account.CASH] == Decimal("-210.00")
    assert find_ledger_problems() == []


@pytest.mark.django_db
def test_a_reversal_posts_back_to_the_shard_of_the_original(manager):
    customer = customers_on_distinct_shards(1)[0]
    fund(customer, "50.00")
    original = services.withdraw(account=customer.account, amount=Decimal("20.00"), performed_by=None)
    shard = next(e.account_id for e in original.entries if e.account_id != customer.account.pk)
    reversal = services.reverse(original=original.transaction, reason="teller error", performed_by=manager.user)
    assert {e.account_id for e in reversal.entries} == {customer.account.pk, shard}
    assert Account.objects.get(pk=shard).balance == Decimal("-50.00")
    assert internal_balance(Account.CASH) == Decimal("-50.00")
    assert find_ledger_problems() == []


@pytest.mark.django_db
def test_loans_post_to_the_borrowers_shard(manager):
    from tests.loans.helpers import approved_loan

    customer = customers_on_distinct_shards(1)[0]
    approved_loan(customer, manager, amount="1200.00")  # approval disburses
    receivable = Account.objects.get(code=Account.LOANS_RECEIVABLE, shard=services.internal_shard(customer.account.pk))
    assert receivable.balance == Decimal("-1200.00") == internal_balance(Account.LOANS_RECEIVABLE)
    assert find_ledger_problems() == []


def _withdraw_holding_the_lock(customer, locked: threading.Event, release: threading.Event, errors: list):
    try:
        with transaction.atomic():
            services.withdraw(account=customer.account, amount=Decimal("1.00"), performed_by=None)
            locked.set()
            release.wait(10)
    except Exception as exc:  # reported to the test thread
        errors.append(exc)
        locked.set()
    finally:
        connections.close_all()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_withdrawals_on_different_shards_do_not_wait_for_each_other(settings):
    settings.LEDGER_INTERNAL_SHARDS = 4  # (shards 0-3 exist) so that a same-shard customer comes soon
    first, second = customers_on_distinct_shards(2)
    same_shard = CustomerFactory()
    while services.internal_shard(same_shard.account.pk) != services.internal_shard(first.account.pk):
        same_shard = CustomerFactory()
    for customer in (first, second, same_shard):
        fund(customer, "10.00")

    locked, release, errors = threading.Event(), threading.Event(), []
    holder = threading.Thread(target=_withdraw_holding_the_lock, args=(first, locked, release, errors))
    holder.start()
    try:
        assert locked.wait(10) and not errors
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '500ms'")
            # another shard of cash: goes through while `first` holds its shard locked
            services.withdraw(account=second.account, amount=Decimal("1.00"), performed_by=None)
        with pytest.raises(OperationalError, match="lock timeout"):
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '500ms'")
                # the same shard: waits for `first` (the check that the test can fail)
                services.withdraw(account=same_shard.account, amount=Decimal("1.00"), performed_by=None)
    finally:
        release.set()
        holder.join()
    assert not errors
    assert internal_balance(Account.CASH) == Decimal("-28.00")
    assert find_ledger_problems() == []
