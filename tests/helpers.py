"""Small helpers shared by the tests: a balance as stored, the SQL a request costs."""

from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from transactions.models import Account


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
