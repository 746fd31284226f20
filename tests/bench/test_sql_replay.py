"""The database-ceiling replay (bench/django_tasks.py capture): the app's statements for a
transfer and a withdrawal become a pgbench script with the parties as variables."""

import importlib.util
import re
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import client_for
from tests.factories import CustomerFactory, fund

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def tasks():
    path = Path(__file__).resolve().parents[2] / "bench" / "django_tasks.py"
    spec = importlib.util.spec_from_file_location("bench_django_tasks", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.postgres  # the replay is of PostgreSQL statements (SQLite gets times as strings)
def test_a_transfer_becomes_a_script_of_variables(tasks):
    sender, recipient = CustomerFactory(), CustomerFactory()
    fund(sender, "100.00")
    client = client_for(sender.user)
    body = {"recipient_account_no": recipient.account.account_no, "amount": "12.34"}
    client.post("/api/balance-transfer/", body, format="json")  # warm
    statements = tasks.recorded(
        lambda: client.post("/api/balance-transfer/", body, format="json"))
    statements = [(sql, params) for sql, params in statements
                  if "bank_cache" not in sql and not sql.startswith(("SAVEPOINT", "RELEASE"))]
    variables = {sender.user.pk: ":uid", sender.account.pk: ":src", recipient.account.pk: ":dst",
                 recipient.account.account_no: ":dst_no"}
    lines = tasks.to_pgbench(statements, variables)

    # authentication, the lock, and the posting in one statement (PostgreSQL) with the
    # recipient's notification in the outbox (issue 16)
    assert len(lines) == 3
    script = "\n".join(lines)
    assert recipient.account.account_no not in script and ":dst_no" in script
    posting = lines[2]
    assert posting.startswith("WITH tx AS (INSERT INTO") and "('TX' || (:ref)::text)" in posting
    assert 'INSERT INTO "notifications_notification"' in posting and "ON CONFLICT DO NOTHING" in posting
    # the notification names the replayed transaction's reference, not the captured one: each
    # replayed transfer writes its own row, as the app's do
    reference = next(value for _, params in statements for value in params
                     if isinstance(value, str) and value.startswith("TX") and len(value) == 18)
    replaced = posting.count("replace(")
    assert replaced == 2 and posting.count(reference) == 2 * replaced  # each within replace(text, reference, fresh)
    assert ":src" in posting and ":dst" in posting and ":uid" in posting
    # no stray ':' that pgbench would take for a variable (times are epoch numbers)
    assert set(re.findall(r"(?<!:):([a-z_]+)", script)) <= {"uid", "src", "dst", "dst_no", "ref", "id"}


def test_literals_pgbench_cannot_read_are_refused(tasks):
    assert tasks.sql_literal(Decimal("1.20")) == "1.20"
    assert tasks.sql_literal("O'Brien") == "'O''Brien'"
    assert tasks.sql_literal(None) == "NULL"
    with pytest.raises(ValueError):
        tasks.sql_literal("12:30")
