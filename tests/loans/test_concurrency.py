"""Loans under concurrent requests on PostgreSQL (real row locks, one connection per thread)."""

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection

from loans.models import Installment, Loan
from tests.conftest import client_for
from tests.factories import CustomerFactory, ManagerFactory, fund
from tests.helpers import balance
from transactions.models import Transaction

from .helpers import approved_loan, ledger_problems, receivable, request

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def no_throttles(settings):
    settings.API_THROTTLE = False


def at_once(calls):
    """Start every call at the same moment, each in its own thread and connection."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        try:
            barrier.wait(timeout=10)
            return call()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def test_two_managers_approving_the_same_loan_at_once_disburse_exactly_once():
    customer = CustomerFactory()
    loan = request(customer, "12000.00")
    clients = [client_for(ManagerFactory().user) for _ in range(2)] * 4  # 8 requests from 2 managers

    def approve(client):
        return lambda: client.post(f"/api/loans/{loan.pk}/approve/", {"amount_approved": "12000.00"},
                                   format="json").status_code

    statuses = at_once([approve(client) for client in clients])
    assert sorted(statuses) == [200] + [409] * 7
    assert Transaction.objects.filter(kind="loan_disbursement").count() == 1
    assert balance(customer.account) == Decimal("12000.00") and receivable() == Decimal("-12000.00")
    assert Installment.objects.filter(loan=loan).count() == 12
    assert ledger_problems() == []


def test_concurrent_repayments_never_overpay():
    customer = CustomerFactory()
    loan = approved_loan(customer, ManagerFactory(), "1000.00", term_months=1)  # 1,010.00 to repay
    fund(customer, "500.00")
    clients = [client_for(customer.user) for _ in range(12)]

    def repay(client):
        return lambda: client.post(f"/api/loans/{loan.pk}/repay/", {"amount": "100.00"}, format="json").status_code

    statuses = at_once([repay(client) for client in clients])
    assert statuses.count(200) == 10 and statuses.count(400) == 2
    loan.refresh_from_db()
    assert loan.outstanding_total == Decimal("10.00") and loan.status == Loan.Status.APPROVED
    assert balance(customer.account) == Decimal("500.00")
    assert ledger_problems() == []


def test_concurrent_requests_respect_the_open_loan_limit(settings):
    settings.LOAN_MAX_OPEN_PER_CUSTOMER = 3
    customer = CustomerFactory()
    clients = [client_for(customer.user) for _ in range(8)]

    def ask(client):
        return lambda: client.post("/api/loans/", {"amount_requested": "100.00"}, format="json").status_code

    statuses = at_once([ask(client) for client in clients])
    assert statuses.count(201) == 3 and statuses.count(400) == 5
    assert Loan.objects.filter(customer=customer).count() == 3
