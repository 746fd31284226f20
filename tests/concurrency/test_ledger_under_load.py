"""Many requests at once against PostgreSQL: not a cent created or lost.

transaction=True: each thread gets its own database connection and really commits, so
row locks are contended. (Inside a plain TestCase transaction they never would be.)
"""

import random
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Sum

from tests.conftest import client_for
from tests.factories import CustomerFactory, fund
from transactions.audit import find_ledger_problems
from transactions.models import Account, Entry, Transaction

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WORKERS = 40  # concurrent connections; PostgreSQL here allows 100


@pytest.fixture(autouse=True)
def no_throttles(settings):
    settings.API_THROTTLE = False


def fire(requests):
    """Run the callables at once, each in a thread with its own connection; return results."""

    def run(request):
        try:
            return request()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(run, requests))


def test_200_concurrent_withdrawals_of_10_from_1000_exactly_100_succeed():
    customer = CustomerFactory()
    fund(customer, "1000.00")
    client = client_for(customer.user)

    def withdraw():
        return client.post("/api/withdrawal/", {"amount": "10.00"}, format="json").status_code

    statuses = fire([withdraw] * 200)
    assert statuses.count(201) == 100
    assert statuses.count(400) == 100
    customer.account.refresh_from_db()
    assert customer.account.balance == Decimal("0.00")
    assert Transaction.objects.filter(kind="withdrawal").count() == 100
    assert find_ledger_problems() == []


def test_500_random_transfers_among_10_accounts_conserve_money():
    customers = CustomerFactory.create_batch(10)
    for customer in customers:
        fund(customer, "100.00")
    clients = {customer.pk: client_for(customer.user) for customer in customers}
    rng = random.Random(7)

    def make_transfer():
        sender, recipient = rng.sample(customers, 2)
        amount = f"{rng.randint(1, 4000) / 100:.2f}"

        def send():
            return clients[sender.pk].post(
                "/api/balance-transfer/",
                {"amount": amount, "recipient_account_no": recipient.account.account_no},
                format="json",
            ).status_code

        return send

    statuses = fire([make_transfer() for _ in range(500)])
    assert set(statuses) <= {201, 400}, statuses  # a deadlock would surface as a 500
    assert statuses.count(201) > 250
    accounts = Account.objects.filter(customer__in=customers)
    assert accounts.aggregate(total=Sum("balance"))["total"] == Decimal("1000.00")
    for account in accounts:
        assert account.balance >= 0
        assert account.balance == Entry.objects.filter(account=account).aggregate(s=Sum("amount"))["s"]
    assert Transaction.objects.filter(kind="transfer").count() == statuses.count(201)
    assert find_ledger_problems() == []
    call_command("audit_ledger")  # raises CommandError when the ledger is off


def test_same_idempotency_key_sent_20_times_at_once_moves_money_once():
    sender, recipient = CustomerFactory(), CustomerFactory()
    fund(sender, "100.00")
    client = client_for(sender.user)

    def send():
        response = client.post(
            "/api/balance-transfer/",
            {"amount": "30.00", "recipient_account_no": recipient.account.account_no},
            format="json",
            HTTP_IDEMPOTENCY_KEY="pay-rent-2026-11",
        )
        return response.status_code, response.json().get("reference")

    results = fire([send] * 20)
    assert {status for status, _ in results} == {201}
    assert len({reference for _, reference in results}) == 1
    sender.account.refresh_from_db()
    assert sender.account.balance == Decimal("70.00")
    assert Transaction.objects.filter(kind="transfer").count() == 1


def test_concurrent_reversal_requests_make_one_request_and_it_reverses_once():
    """Ten reversal requests at once (four eyes): one waits for approval, nine get 409;
    then five checkers approve at once: one reversal, four 409."""
    from approvals.models import ApprovalRequest
    from tests.factories import ManagerFactory

    customer = CustomerFactory()
    fund(customer, "100.00")
    original = Transaction.objects.get()
    maker = client_for(ManagerFactory().user)
    checkers = [client_for(ManagerFactory().user) for _ in range(5)]

    def request_reversal():
        response = maker.post(f"/api/transactions/{original.pk}/reverse/", {"reason": "duplicate"}, format="json")
        return response.status_code

    statuses = fire([request_reversal] * 10)
    assert statuses.count(202) == 1 and statuses.count(409) == 9
    approval = ApprovalRequest.objects.get()

    def approve(checker):
        return lambda: checker.post(f"/api/approvals/{approval.pk}/approve/").status_code

    statuses = fire([approve(checker) for checker in checkers])
    assert statuses.count(200) == 1 and statuses.count(409) == 4
    assert Transaction.objects.filter(kind="reversal", reverses=original).count() == 1
    customer.account.refresh_from_db()
    assert customer.account.balance == Decimal("0.00")
    assert find_ledger_problems() == []
