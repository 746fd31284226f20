"""The benchmark's hot path in SQL statements: a transfer is a small fixed number of them,
and the manager's transaction list does not grow with its rows.

Counted: statements that do work. Left out: transaction bookkeeping (BEGIN, COMMIT and
the SAVEPOINTs the test's own transaction turns atomic blocks into) and the cache table
(throttle counters and revoked tokens live in Redis in production, in the database here).
"""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import client_for
from tests.factories import CustomerFactory, fund
from transactions import services

pytestmark = pytest.mark.django_db

BOOKKEEPING = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT", "BEGIN", "COMMIT")


def work_statements(queries) -> list[str]:
    return [
        q["sql"] for q in queries
        if not q["sql"].lstrip().upper().startswith(BOOKKEEPING) and "bank_cache" not in q["sql"]
    ]


def verbs(statements) -> list[str]:
    return [sql.split(None, 1)[0].upper() for sql in statements]


def posting_verbs(*, notice: bool) -> list[str]:
    """The transaction, its entries, the new balances and the customer's outbox row (ON
    CONFLICT DO NOTHING): one statement on PostgreSQL (data-modifying CTEs), an insert, an
    insert, an update and an insert elsewhere."""
    if connection.vendor == "postgresql":
        return ["WITH"]
    return ["INSERT", "INSERT", "UPDATE", *(["INSERT"] if notice else [])]


def test_transfer_is_three_statements_on_postgresql_locking_both_accounts_at_once(funded_customer, other_customer,
                                                                    customer_client):
    with CaptureQueriesContext(connection) as queries:
        response = customer_client.post(
            "/api/balance-transfer/",
            {"recipient_account_no": other_customer.account.account_no, "amount": "25.00"},
            format="json",
        )
    assert response.status_code == 201, response.content
    statements = work_statements(queries)
    # the user with profiles and account (authentication); both accounts locked in one
    # statement; the posting (transaction, entries, balances, the recipient's outbox row).
    assert verbs(statements) == ["SELECT", "SELECT", *posting_verbs(notice=True)], statements
    assert "notifications_notification" in statements[-1]

    lock = statements[1]
    if connection.features.has_select_for_update:
        assert "FOR UPDATE" in lock.upper()
    assert "ORDER BY a.id" in lock
    assert str(funded_customer.account.pk) in lock and other_customer.account.account_no in lock
    posting = " ".join(statements[2:])
    assert all(table in posting for table in ("transactions_transaction", "transactions_entry", "transactions_account",
                                              "notifications_notification"))


def test_withdrawal_is_three_statements_on_postgresql(funded_customer, customer_client):
    with CaptureQueriesContext(connection) as queries:
        response = customer_client.post("/api/withdrawal/", {"amount": "10.00"}, format="json")
    assert response.status_code == 201, response.content
    assert verbs(work_statements(queries)) == ["SELECT", "SELECT", *posting_verbs(notice=False)]


def test_idempotency_key_adds_two_statements_to_a_transfer(funded_customer, other_customer, customer_client):
    with CaptureQueriesContext(connection) as queries:
        response = customer_client.post(
            "/api/balance-transfer/",
            {"recipient_account_no": other_customer.account.account_no, "amount": "5.00"},
            format="json",
            HTTP_IDEMPOTENCY_KEY="bench-key-1",
        )
    assert response.status_code == 201, response.content
    # + the key row claimed before the movement, + its stored response after it.
    assert verbs(work_statements(queries)) == ["SELECT", "INSERT", "SELECT", *posting_verbs(notice=True), "UPDATE"]


def list_statements(client) -> tuple[int, int]:
    client.get("/api/transactions/", {"page_size": 1})  # the steady state: capability cache filled
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/transactions/", {"page_size": 100})
    assert response.status_code == 200, response.content[:300]
    return len(work_statements(queries)), len(response.json()["results"])


def test_transaction_list_costs_the_same_for_5_and_50_rows(manager):
    client = client_for(manager.user)
    customers = [CustomerFactory() for _ in range(3)]
    fund(customers[0], "1000.00")  # 1 transaction

    for i in range(4):
        services.transfer(source=customers[0].account, recipient_account_no=customers[1 + i % 2].account.account_no,
                          amount=Decimal("1.00"), performed_by=customers[0].user)
    small, rows = list_statements(client)
    assert rows == 5

    for i in range(45):
        services.transfer(source=customers[0].account, recipient_account_no=customers[1 + i % 2].account.account_no,
                          amount=Decimal("1.00"), performed_by=customers[0].user)
    original = services.withdraw(account=customers[0].account, amount=Decimal("2.00"), performed_by=manager.user).transaction
    reversal = services.reverse(original=original, reason="bench test", performed_by=manager.user).transaction
    large, rows = list_statements(client)
    assert rows == 52
    # The list loads only the columns it shows: every one of them still arrives.
    listed = {row["reference"]: row for row in client.get("/api/transactions/", {"page_size": 100}).json()["results"]}
    assert listed[original.reference]["reversed_by"] == reversal.reference
    assert listed[reversal.reference]["reverses"] == original.reference
    assert listed[reversal.reference]["performed_by"] == manager.user.username
    assert listed[original.reference]["source_account_no"] == customers[0].account.account_no
    assert listed[original.reference]["amount"] == "2.00" and listed[original.reference]["kind"] == "withdrawal"
    assert large == small
    # the user (authentication) and one page of transactions with every joined row.
    assert small == 2
