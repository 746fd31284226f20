"""Small helpers shared by the tests: a balance as stored, the SQL a request costs, a
request by method name, and a snapshot of what staff operations can change."""

from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Manager
from approvals.models import ApprovalRequest
from contact.models import ContactMessage
from loans.models import Loan
from payments.models import Payment
from services.models import Service
from transactions.models import Account, Transaction


def balance(holder) -> Decimal:
    """The balance the database holds now for an Account, or for a Customer's account."""
    account = holder if isinstance(holder, Account) else holder.account
    account.refresh_from_db(fields=["balance"])
    return account.balance


def count_queries(client, path: str, params: dict | None = None) -> int:
    """SQL statements of one GET by `client`: those of the endpoint itself. Throttle
    counters live in the database cache in tests (Redis in production), savepoints are the
    test's transaction, and a login session's "last used" is written at most once a minute
    whatever the endpoint (usersessions): all three are left out. A staff member's first
    request also fills their capability set in that cache (staff/cache.py): one untimed
    request first makes the count the steady state."""
    client.get(path, params)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, params)
    assert response.status_code == 200, (path, response.content[:300])
    return sum(
        1 for q in queries
        if "bank_cache" not in q["sql"] and "SAVEPOINT" not in q["sql"]
        and not q["sql"].startswith('UPDATE "usersessions_session" SET "last_used_at"')
    )


def call(client, method: str, path: str, body):
    """`client.<method>(path)`, with `body` as JSON when there is one."""
    if body is None:
        return getattr(client, method)(path)
    return getattr(client, method)(path, body, format="json")


def snapshot():
    """What a refused staff or manager operation must leave as it was: staff and their
    roles, the ledger, accounts, loans, the catalogue, contact messages, four-eyes requests,
    customers' profiles and gateway payments. Compare a call's before and after."""
    return (
        Manager.objects.count(),
        Transaction.objects.count(),
        sorted(Account.objects.values_list("account_no", "status", "balance")),
        sorted(Loan.objects.values_list("pk", "status")),
        sorted(Service.objects.values_list("pk", "name", "is_active")),
        sorted(ContactMessage.objects.values_list("pk", "is_handled")),
        sorted(ApprovalRequest.objects.values_list("pk", "status")),
        sorted(Manager.objects.values_list("pk", "age", "user__groups__name")),
        sorted(Account.objects.filter(customer__isnull=False).values_list("customer__occupation", flat=True)),
        sorted(Payment.objects.values_list("pk", "status")),
    )
