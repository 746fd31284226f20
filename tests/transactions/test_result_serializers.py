"""A POST's hand-written result says exactly what the declared fields say, for each movement."""

from decimal import Decimal

import pytest

from tests.conftest import client_for
from tests.factories import CustomerFactory, ManagerFactory, fund
from transactions.serializers import (
    DepositResultSerializer,
    TransferResultSerializer,
    WithdrawalResultSerializer,
)

pytestmark = pytest.mark.django_db


def declared(serializer_class, tx) -> dict:
    """What DRF's declared fields give for `tx` (the generic path the hand-written one replaces)."""
    serializer = serializer_class(tx)
    data = dict(super(serializer_class, serializer).to_representation(tx))
    data.pop("balance", None)  # set by the view from the posting, after the serializer
    return data


@pytest.mark.parametrize("kind", ["deposit", "withdrawal", "transfer"])
def test_the_result_of_each_movement_matches_the_declared_fields(kind):
    from transactions import services

    alice, bob, manager = CustomerFactory(), CustomerFactory(), ManagerFactory()
    bob.user.first_name, bob.user.last_name = "Bob", "Jones"
    bob.user.save()
    fund(alice, "500.00")
    if kind == "deposit":
        posting = services.deposit(account=alice.account, amount=Decimal("7.50"), performed_by=manager.user,
                                   description="at the counter")
        serializer_class = DepositResultSerializer
    elif kind == "withdrawal":
        posting = services.withdraw(account=alice.account, amount=Decimal("0.01"), performed_by=alice.user)
        serializer_class = WithdrawalResultSerializer
    else:
        posting = services.transfer(source=alice.account, recipient_account_no=bob.account.account_no,
                                    amount=Decimal("120.00"), performed_by=alice.user, description="rent")
        serializer_class = TransferResultSerializer

    fast = dict(serializer_class(posting.transaction).data)
    assert list(fast) == list(declared(serializer_class, posting.transaction))
    assert fast == declared(serializer_class, posting.transaction)


def test_a_transfer_answers_with_both_names_and_the_new_balance_over_http():
    alice, bob = CustomerFactory(), CustomerFactory()
    bob.user.first_name, bob.user.last_name = "Bob", "Jones"
    bob.user.save()
    fund(alice, "100.00")
    response = client_for(alice.user).post(
        "/api/balance-transfer/", {"recipient_account_no": bob.account.account_no, "amount": "25.50"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["recipient_name"] == "Bob Jones" and body["recipient_account_no"] == bob.account.account_no
    assert body["sender"] == body["sender_account_no"] == alice.account.account_no
    assert body["amount"] == "25.50" and body["balance"] == "74.50" and body["reversed"] is False
    assert "recipient_email" not in body and "sender_mobile_no" not in body
