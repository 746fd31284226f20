"""bench/posting_cost.py: the captured transfer cut into parts and batches for pgbench."""

import importlib.util
import re
from pathlib import Path

import pytest

from tests.conftest import client_for
from tests.factories import CustomerFactory, fund

BENCH = Path(__file__).resolve().parents[2] / "bench"


def load(name):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def cost():
    return load("posting_cost")


# The shape bench/django_tasks.py capture writes (statements abridged).
CAPTURED = """-- transfer: the SQL the app sent for one
\\set s random(1, 1000)
\\set r 1 + (:s + random(0, 998)) % 1000
\\set ref random(1000000000000000, 9999999999999999)
SELECT p.uid, p.sid, p.src FROM bench_party p, bench_party r WHERE p.n = :s AND r.n = :r
\\gset
BEGIN;
SELECT s."id", u."id" FROM "usersessions_session" s INNER JOIN "accounts_user" u ON u.id = s.user_id WHERE s.id = :sid;
SELECT a."id", a."balance" FROM "transactions_account" a WHERE a.id IN (:src) OR a.account_no IN (:dst_no) ORDER BY a.id FOR UPDATE OF a;
WITH tx AS (INSERT INTO "transactions_transaction" ("reference", "source_id", "destination_id", "performed_by_id") VALUES (('TX' || (:ref)::text), :src, :dst, :uid) RETURNING "id" AS id), entries AS (SELECT unnest(ARRAY[:src, :dst]::bigint[])), outbox AS (INSERT INTO "notifications_notification" ("user_id") VALUES (:ruid)) SELECT tx.id FROM tx;
END;
"""
OFFSETS = {"uid": 0, "sid": 10, "src": 768}


def defined_and_used(script: str) -> tuple[set, set]:
    defined = set(re.findall(r"^\\set (\w+)", script, flags=re.M))
    used = set()
    for line in script.splitlines():
        used |= set(re.findall(r"(?<![:\w]):([a-z_]+\d*)\b", line))
    return defined, used


def test_each_part_defines_every_variable_it_uses(cost):
    parts = {part.name: part for part in cost.parts(CAPTURED, 1000, OFFSETS, batches=(2, 4))}
    assert list(parts) == ["session", "posting", "transfer", "batch-2", "batch-4"]
    for part in parts.values():
        defined, used = defined_and_used(part.script)
        assert used and used <= defined, (part.name, used - defined)
        assert "bench_party" not in part.script and "dst_no" not in part.script  # no lookup the app does not make
        assert ";;" not in part.script
        for line in part.script.splitlines():  # one statement per line, each ended (pgbench joins the rest)
            assert line.startswith("\\") or (line.endswith(";") and line.count(";") == 1), (part.name, line[:80])


def test_the_parts_hold_what_their_names_say(cost):
    parts = {part.name: part for part in cost.parts(CAPTURED, 1000, OFFSETS, batches=(1, 4))}
    # the control: the transfer part as is, on the batches' one connection
    assert parts["batch-1"].clients == 1 and parts["transfer"].clients == 5
    assert parts["batch-1"].script == parts["transfer"].script
    session = parts["session"].script
    assert '"usersessions_session"' in session and "BEGIN" not in session and ":sid1" in session
    assert "\\set sid1 :s1 + 10" in session

    posting = parts["posting"].script
    assert posting.count("WITH tx AS") == 1 and "FOR UPDATE" not in posting and posting.count("BEGIN;") == 1

    transfer = parts["transfer"].script.splitlines()
    statements = [line for line in transfer if not line.startswith("\\")]
    assert statements[0] == "BEGIN;" and "FOR UPDATE" in statements[1] and statements[-1] == "END;"
    assert "WHERE a.id IN (:src1, :dst1) ORDER BY a.id" in statements[1]

    batch = parts["batch-4"]
    assert batch.transfers == 4 and batch.clients == 1
    assert batch.script.count("FOR UPDATE") == 1 and batch.script.count("WITH tx AS") == 4
    assert batch.script.count("BEGIN;") == 1 and batch.script.count("END;") == 1
    assert "a.id IN (:src1, :dst1, :src2, :dst2, :src3, :dst3, :src4, :dst4)" in batch.script
    # each posting its own parties and reference; casts (::bigint, ::text) left alone
    assert "(:ref3)::text" in batch.script and "ARRAY[:src3, :dst3]::bigint[]" in batch.script
    assert "\\set dst2 :r2 + 768" in batch.script and "\\set ruid4 :r4 + 0" in batch.script


def test_a_capture_of_another_shape_is_refused(cost):
    with pytest.raises(ValueError, match="posting"):
        cost.parts(CAPTURED.replace("WITH tx AS (INSERT", "WITH t AS (INSERT"), 1000, OFFSETS)
    with pytest.raises(ValueError, match="ORDER BY"):
        cost.lock_by_ids('SELECT a."id" FROM "transactions_account" a WHERE a.id = 1 FOR UPDATE', [":src1"])
    with pytest.raises(ValueError, match="unknown pgbench variable"):
        cost.numbered("SELECT :shard", 1)
    with pytest.raises(ValueError, match="unknown pgbench variable"):  # pick() draws no account number
        cost.numbered("SELECT 1 FROM a WHERE a.account_no = :dst_no", 1)


class FakeCursor:
    def __init__(self, row):
        self.row = row

    def execute(self, sql, params=None):
        assert "bench_party" in sql

    def fetchone(self):
        return self.row


def test_parties_must_be_numbered_consecutively(cost):
    assert cost.party_offsets(FakeCursor((1000, 0, 0, 10, 10, 768, 768))) == (1000, OFFSETS)
    with pytest.raises(ValueError, match="src"):
        cost.party_offsets(FakeCursor((1000, 0, 0, 10, 10, 768, 900)))
    with pytest.raises(ValueError, match="two"):
        cost.party_offsets(FakeCursor((1, 0, 0, 10, 10, 768, 768)))


def test_summary_compares_the_medians_with_tpcb(cost):
    rows = [
        {"scenario": "cost-tpcb", "per_transfer_ms": 0.40}, {"scenario": "cost-tpcb", "per_transfer_ms": 0.20},
        {"scenario": "cost-tpcb", "per_transfer_ms": 0.35},  # median 0.35, whatever the order
        {"scenario": "cost-session", "per_transfer_ms": 0.15}, {"scenario": "cost-session", "per_transfer_ms": 0.15},
        {"scenario": "cost-batch-8", "per_transfer_ms": 0.30}, {"scenario": "cost-batch-8", "per_transfer_ms": 0.26},
        {"scenario": "cost-posting", "per_transfer_ms": 0.60},
    ]
    lines = cost.summary(rows)
    assert lines[0].startswith("TPC-B-like at the same rate: 0.350 ms")
    assert "session: 0.150 ms per transfer = 0.43x TPC-B" in lines
    assert "batch-8: 0.280 ms per transfer = 0.80x TPC-B; with each request's session lookup 0.430 ms = 1.23x" in lines
    assert "posting: 0.600 ms per transfer = 1.71x TPC-B" in lines  # no session added: not a whole request
    assert cost.summary([{"scenario": "cost-session", "per_transfer_ms": 0.1}]) == []


@pytest.mark.django_db
@pytest.mark.postgres  # the replay is of PostgreSQL statements
def test_the_apps_real_transfer_cuts_into_parts(cost):
    """The captured hot path still has the three statements the parts are cut from: a change
    of its shape fails here, not halfway through a make bench."""
    tasks = load("django_tasks")
    sender, recipient = CustomerFactory(), CustomerFactory()
    fund(sender, "100.00")
    client = client_for(sender.user)
    body = {"recipient_account_no": recipient.account.account_no, "amount": "12.34"}
    client.post("/api/balance-transfer/", body, format="json")  # warm
    statements = [(sql, params) for sql, params in
                  tasks.recorded(lambda: client.post("/api/balance-transfer/", body, format="json"))
                  if "bank_cache" not in sql and not sql.startswith(("SAVEPOINT", "RELEASE"))]
    session_id = next(params[0] for sql, params in statements if '"usersessions_session"' in sql)
    variables = {session_id: ":sid", sender.user.pk: ":uid", recipient.user.pk: ":ruid",
                 sender.account.pk: ":src", recipient.account.pk: ":dst", recipient.account.account_no: ":dst_no"}
    script = "BEGIN;\n" + "\n".join(tasks.to_pgbench(statements, variables)) + "\nEND;\n"
    for part in cost.parts(script, 1000, OFFSETS, batches=(3,)):
        defined, used = defined_and_used(part.script)
        assert used <= defined, (part.name, used - defined)
    batch = next(part for part in cost.parts(script, 1000, OFFSETS, batches=(3,)) if part.name == "batch-3")
    assert batch.script.count('INSERT INTO "notifications_notification"') == 3
