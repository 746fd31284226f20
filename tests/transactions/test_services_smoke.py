from decimal import Decimal

import pytest

from transactions import services
from transactions.audit import find_ledger_problems
from transactions.models import Account

pytestmark = pytest.mark.django_db


def test_deposit_credits_customer_and_debits_cash(customer):
    services.deposit(account=customer.account, amount=Decimal("100.00"), performed_by=None)
    customer.account.refresh_from_db()
    assert customer.account.balance == Decimal("100.00")
    assert Account.objects.get(code=Account.CASH).balance == Decimal("-100.00")
    assert find_ledger_problems() == []
