"""The list's hand-written row serializer says exactly what the declarative one says."""

from decimal import Decimal

import pytest
from rest_framework.test import APIRequestFactory

from tests.factories import CustomerFactory, ManagerFactory, fund
from transactions import selectors, services
from transactions.serializers import TransactionRowSerializer, TransactionSerializer

pytestmark = pytest.mark.django_db


def test_row_serializer_matches_the_declared_fields_for_every_kind_of_row():
    alice, bob, manager = CustomerFactory(), CustomerFactory(), ManagerFactory()
    fund(alice, "500.00")
    services.deposit(account=bob.account, amount=Decimal("7.50"), performed_by=manager.user, description="=teller")
    services.withdraw(account=alice.account, amount=Decimal("0.01"), performed_by=alice.user)
    transfer = services.transfer(source=alice.account, recipient_account_no=bob.account.account_no,
                                 amount=Decimal("120.00"), performed_by=alice.user).transaction
    services.reverse(original=transfer, reason="wrong payee", performed_by=manager.user)

    for viewer in (manager.user, alice.user, bob.user):
        request = APIRequestFactory().get("/api/transactions/")
        request.user = viewer
        rows = list(selectors.transaction_rows_for(viewer))
        instances = list(selectors.transactions_for(viewer))
        assert rows and [row["id"] for row in rows] == [tx.pk for tx in instances]
        fast = TransactionRowSerializer(rows, many=True, context={"request": request}).data
        declared = TransactionSerializer(instances, many=True, context={"request": request}).data
        assert [dict(row) for row in fast] == [dict(row) for row in declared]
