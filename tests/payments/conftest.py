from decimal import Decimal

import pytest
from django.db.models import Sum

from payments import services
from payments.models import Payment
from transactions.audit import find_ledger_problems
from transactions.models import Account
from transactions.selectors import internal_balance


def start(customer, amount="5000.00") -> Payment:
    """A pending sandbox payment for `customer`, as the deposit endpoint makes it."""
    return services.start_payment(
        account=customer.account, amount=Decimal(amount), user=customer.user, callback_base_url="http://testserver"
    )


def clearing_balance() -> Decimal:
    """gateway_clearing's balance, all its shards rolled up."""
    return internal_balance(Account.GATEWAY_CLEARING)


def assert_ledger_clean():
    """The audit is clean and gateway_clearing holds minus the sum of completed payments."""
    assert find_ledger_problems() == []
    completed = Payment.objects.filter(status="completed").aggregate(total=Sum("amount"))["total"] or Decimal("0")
    assert clearing_balance() == -completed


@pytest.fixture(autouse=True)
def ledger_audit_after_each_test(db):
    """After every test here, before its database is rolled back: the ledger audit."""
    yield
    assert_ledger_clean()
