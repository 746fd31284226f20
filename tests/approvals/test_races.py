"""Two checkers approving one request at the same moment on PostgreSQL: one execution,
the other 409. Each thread has its own connection and really commits."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from approvals.models import ApprovalRequest
from tests.conftest import client_for
from tests.factories import CustomerFactory, ManagerFactory, fund
from tests.helpers import balance
from transactions.models import Transaction

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_checkers_at_once_execute_the_reversal_once(settings):
    settings.API_THROTTLE = False
    customer = CustomerFactory()
    fund(customer, "300.00")
    tx = Transaction.objects.get(kind="deposit")
    maker = client_for(ManagerFactory().user)
    approval_id = maker.post(f"/api/transactions/{tx.pk}/reverse/", {"reason": "dup"},
                             format="json").json()["approval_id"]
    checkers = [client_for(ManagerFactory().user) for _ in range(4)]
    barrier = threading.Barrier(len(checkers))
    statuses = []

    def check(client):
        try:
            barrier.wait()
            statuses.append(client.post(f"/api/approvals/{approval_id}/approve/").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=check, args=(client,)) for client in checkers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 409, 409, 409]
    assert Transaction.objects.filter(kind="reversal", reverses=tx).count() == 1
    assert balance(customer) == Decimal("0.00")
    assert ApprovalRequest.objects.get(pk=approval_id).status == "executed"
