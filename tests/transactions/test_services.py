"""The ledger services move exactly the right amounts, or nothing at all."""

from decimal import Decimal

import pytest

from tests.factories import CustomerFactory, fund
from tests.helpers import balance
from transactions import services
from transactions.audit import find_ledger_problems
from transactions.models import Account, Entry, Transaction
from transactions.selectors import internal_balance

pytestmark = pytest.mark.django_db


def cash(account=None) -> Account:
    """The shard of cash that postings for `account` use (shard 0 without one)."""
    key = account.pk if account is not None else 0
    return Account.objects.get(code=Account.CASH, shard=services.internal_shard(key))


def cash_total() -> Decimal:
    return internal_balance(Account.CASH)


def test_deposit_credits_the_customer_and_debits_cash(customer):
    tx = services.deposit(account=customer.account, amount=Decimal("100.25"), performed_by=customer.user).transaction
    assert balance(customer.account) == Decimal("100.25")
    assert cash_total() == cash(customer.account).balance == Decimal("-100.25")
    assert sorted(e.amount for e in tx.entries.all()) == [Decimal("-100.25"), Decimal("100.25")]
    assert tx.kind == "deposit" and tx.destination_id == customer.account.pk
    assert find_ledger_problems() == []


def test_withdrawal_debits_the_customer_and_credits_cash(funded_customer):
    services.withdraw(account=funded_customer.account, amount=Decimal("40.00"), performed_by=None)
    assert balance(funded_customer.account) == Decimal("960.00")
    assert cash_total() == cash(funded_customer.account).balance == Decimal("-960.00")
    assert find_ledger_problems() == []


def test_transfer_moves_money_between_customers(funded_customer, other_customer):
    tx = services.transfer(source=funded_customer.account, recipient_account_no=other_customer.account.account_no,
                           amount=Decimal("25.50"), performed_by=None).transaction
    assert balance(funded_customer.account) == Decimal("974.50")
    assert balance(other_customer.account) == Decimal("25.50")
    after = {e.account_id: e.balance_after for e in tx.entries.all()}
    assert after == {funded_customer.account.pk: Decimal("974.50"), other_customer.account.pk: Decimal("25.50")}
    assert find_ledger_problems() == []


def _nothing_written(before_tx: int):
    assert Transaction.objects.count() == before_tx


def test_insufficient_funds_moves_nothing(funded_customer, other_customer):
    before = Transaction.objects.count()
    with pytest.raises(services.InsufficientFunds):
        services.withdraw(account=funded_customer.account, amount=Decimal("1000.01"), performed_by=None)
    with pytest.raises(services.InsufficientFunds):
        services.transfer(source=funded_customer.account, recipient_account_no=other_customer.account.account_no,
                          amount=Decimal("1000.01"), performed_by=None)
    _nothing_written(before)
    assert balance(funded_customer.account) == Decimal("1000.00")


def test_withdrawing_everything_leaves_exactly_zero(funded_customer):
    services.withdraw(account=funded_customer.account, amount=Decimal("1000.00"), performed_by=None)
    assert balance(funded_customer.account) == Decimal("0.00")


def test_frozen_account_can_neither_send_nor_receive(funded_customer, other_customer, manager):
    services.freeze(account=other_customer.account, performed_by=manager.user)
    before = Transaction.objects.count()
    with pytest.raises(services.AccountFrozen):
        services.transfer(source=funded_customer.account, recipient_account_no=other_customer.account.account_no,
                          amount=Decimal("1.00"), performed_by=None)
    with pytest.raises(services.AccountFrozen):
        services.deposit(account=other_customer.account, amount=Decimal("1.00"), performed_by=None)
    services.freeze(account=funded_customer.account, performed_by=manager.user)
    with pytest.raises(services.AccountFrozen):
        services.withdraw(account=funded_customer.account, amount=Decimal("1.00"), performed_by=None)
    _nothing_written(before)
    services.unfreeze(account=funded_customer.account, performed_by=manager.user)
    services.withdraw(account=funded_customer.account, amount=Decimal("1.00"), performed_by=None)
    assert balance(funded_customer.account) == Decimal("999.00")


def test_freezing_twice_or_an_internal_account_is_refused(customer, manager):
    services.freeze(account=customer.account, performed_by=manager.user)
    with pytest.raises(services.InvalidStatusChange):
        services.freeze(account=customer.account, performed_by=manager.user)
    with pytest.raises(services.InvalidStatusChange):
        services.freeze(account=cash(), performed_by=manager.user)


def test_unknown_or_same_recipient_is_refused(funded_customer):
    with pytest.raises(services.SameAccount):
        services.transfer(source=funded_customer.account, recipient_account_no=funded_customer.account.account_no,
                          amount=Decimal("1.00"), performed_by=None)
    with pytest.raises(services.AccountNotFound):
        services.transfer(source=funded_customer.account, recipient_account_no="0000000000",
                          amount=Decimal("1.00"), performed_by=None)
    # The bank's own accounts are not transfer recipients.
    with pytest.raises(services.AccountNotFound):
        services.transfer(source=funded_customer.account, recipient_account_no=cash().account_no,
                          amount=Decimal("1.00"), performed_by=None)
    assert balance(funded_customer.account) == Decimal("1000.00")


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-1"), Decimal("0.001"), Decimal("NaN"),
                                    Decimal("Infinity"), Decimal("1e20"), 10, "10.00"])
def test_services_refuse_bad_amounts(funded_customer, amount):
    before = Transaction.objects.count()
    with pytest.raises(services.InvalidAmount):
        services.withdraw(account=funded_customer.account, amount=amount, performed_by=None)
    _nothing_written(before)


def test_reversal_restores_balances_exactly_and_only_once(funded_customer, other_customer, manager):
    tx = services.transfer(source=funded_customer.account, recipient_account_no=other_customer.account.account_no,
                           amount=Decimal("300.00"), performed_by=None).transaction
    reversal = services.reverse(original=tx, reason="Sent to the wrong person", performed_by=manager.user).transaction
    assert reversal.reverses_id == tx.pk and reversal.kind == "reversal"
    assert balance(funded_customer.account) == Decimal("1000.00")
    assert balance(other_customer.account) == Decimal("0.00")
    tx.refresh_from_db()
    assert tx.reversal == reversal
    with pytest.raises(services.AlreadyReversed):
        services.reverse(original=tx, reason="again", performed_by=manager.user)
    with pytest.raises(services.NotReversible):
        services.reverse(original=reversal, reason="undo the undo", performed_by=manager.user)
    assert find_ledger_problems() == []


def test_reversal_needs_a_reason_and_the_money_to_still_be_there(funded_customer, other_customer, manager):
    tx = services.transfer(source=funded_customer.account, recipient_account_no=other_customer.account.account_no,
                           amount=Decimal("300.00"), performed_by=None).transaction
    with pytest.raises(services.DomainError):
        services.reverse(original=tx, reason="  ", performed_by=manager.user)
    services.withdraw(account=other_customer.account, amount=Decimal("200.00"), performed_by=None)
    with pytest.raises(services.InsufficientFunds):
        services.reverse(original=tx, reason="fraud", performed_by=manager.user)
    assert not Transaction.objects.filter(kind="reversal").exists()


def test_reversal_reaches_a_frozen_account(funded_customer, other_customer, manager):
    tx = services.transfer(source=funded_customer.account, recipient_account_no=other_customer.account.account_no,
                           amount=Decimal("300.00"), performed_by=None).transaction
    services.freeze(account=other_customer.account, performed_by=manager.user)
    services.reverse(original=tx, reason="fraud", performed_by=manager.user)
    assert balance(other_customer.account) == Decimal("0.00")


def test_new_accounts_have_unique_check_digited_numbers():
    from transactions.models import is_valid_account_no

    customers = CustomerFactory.create_batch(20)
    numbers = {c.account.account_no for c in customers}
    assert len(numbers) == 20
    assert all(is_valid_account_no(n) for n in numbers)
    number = next(iter(numbers))
    assert not is_valid_account_no(number[:9] + str((int(number[9]) + 1) % 10))  # a one-digit typo


def test_entries_of_every_transaction_sum_to_zero(funded_customer, other_customer):
    fund(other_customer, "50.00")
    services.transfer(source=other_customer.account, recipient_account_no=funded_customer.account.account_no,
                      amount=Decimal("20.00"), performed_by=None)
    for tx in Transaction.objects.all():
        assert sum(e.amount for e in Entry.objects.filter(transaction=tx)) == 0
