"""Issue 15: reads from a REAL streaming replica (pg_basebackup -R of a primary of our own).

One gunicorn node reads the ledger from the standby. Replay is paused on the standby to
make it visibly stale: a customer who did not write sees the old balance (their read went
to the replica), the writer sees their own write (read-your-writes pin); once the pause
makes the standby lag past REPLICA_MAX_LAG_SECONDS everyone reads the primary; a standby
that is down is not an error either.
"""

import shutil
import time
from decimal import Decimal

import pytest

from .harness import Gunicorn, ReplicatedDatabase, log_in, request, scratch_dir, server_env

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

MAX_LAG = 6.0


@pytest.fixture(scope="module")
def replicated():
    db = ReplicatedDatabase(scratch_dir("replica"), customers=3)
    try:
        db.start()
        node = Gunicorn(db.root, server_env({
            "DATABASE_URL": db.primary.url(),
            "DATABASE_REPLICA_URL": db.standby.url(),
            "REPLICA_MAX_LAG_SECONDS": str(MAX_LAG),
            "REPLICA_CHECK_SECONDS": "0.2",
            "REPLICA_PIN_SECONDS": "60",
            "REPLICA_CONNECT_TIMEOUT": "1",
        }))
        node.start()
        try:
            tokens = [log_in(node.port, f"scale{n}") for n in range(3)]
            yield db, node, tokens
        finally:
            node.stop()
    finally:
        db.stop()
        shutil.rmtree(db.root, ignore_errors=True)


def balance(node, token) -> Decimal:
    status, data = request("127.0.0.1", node.port, "GET", "/api/accounts/", token=token)
    assert status == 200, (status, data)
    rows = data["results"] if isinstance(data, dict) else data
    assert len(rows) == 1
    return Decimal(rows[0]["balance"])


def transfer(node, token, to_account, amount):
    status, data = request("127.0.0.1", node.port, "POST", "/api/balance-transfer/",
                           {"recipient_account_no": to_account, "amount": amount}, token=token)
    assert status == 201, (status, data)


def test_reads_come_from_the_replica_and_writers_read_their_writes(replicated):
    db, node, (writer, reader, _) = replicated
    writer_before, reader_before = balance(node, writer), balance(node, reader)
    db.heartbeat()
    db.pause_replay()
    try:
        started = time.monotonic()
        transfer(node, writer, db.account_numbers[1], "25.00")
        # The primary has the transfer; the standby does not replay it.
        assert db.primary.query("SELECT count(*) FROM transactions_transaction WHERE kind = 'transfer'")[0][0] == 1
        assert db.standby.query("SELECT count(*) FROM transactions_transaction WHERE kind = 'transfer'")[0][0] == 0
        # The recipient did not write: their read went to the (stale) replica.
        assert balance(node, reader) == reader_before
        # The writer is pinned to the primary: they see their own transfer.
        assert balance(node, writer) == writer_before - Decimal("25.00")
        assert time.monotonic() - started < MAX_LAG - 1, "too slow to observe the stale replica"
    finally:
        db.resume_replay()
    db.heartbeat()
    assert balance(node, reader) == reader_before + Decimal("25.00")


def test_a_lagging_replica_is_skipped(replicated):
    db, node, (writer, _, reader) = replicated
    reader_before = balance(node, reader)
    db.heartbeat()
    db.pause_replay()
    try:
        lag_from = time.monotonic()
        transfer(node, writer, db.account_numbers[2], "10.00")
        assert balance(node, reader) == reader_before  # still within REPLICA_MAX_LAG_SECONDS
        time.sleep(max(0.0, MAX_LAG + 1.0 - (time.monotonic() - lag_from)))
        # The standby is now more than MAX_LAG behind: the reader reads the primary.
        assert balance(node, reader) == reader_before + Decimal("10.00")
        assert db.standby.query("SELECT count(*) FROM transactions_transaction WHERE kind = 'transfer'")[0][0] < \
            db.primary.query("SELECT count(*) FROM transactions_transaction WHERE kind = 'transfer'")[0][0]
    finally:
        db.resume_replay()
    db.heartbeat()


def test_an_unreachable_replica_is_skipped(replicated):
    db, node, (writer, reader, _) = replicated
    # A second node that trusts its last health check for a long time: when the standby dies,
    # its next replica read fails mid-request, and the request is run again on the primary.
    trusting = Gunicorn(db.root, {**node.env, "REPLICA_CHECK_SECONDS": "300"}, name="trusting")
    trusting.start()
    try:
        db.heartbeat()
        reader_before = balance(node, reader)  # both nodes hold a connection to the standby now
        assert balance(trusting, reader) == reader_before
        db.standby.stop("immediate")
        transfer(node, writer, db.account_numbers[1], "5.00")
        for app in (node, trusting, trusting):
            assert balance(app, reader) == reader_before + Decimal("5.00")
            status, data = request("127.0.0.1", app.port, "GET", "/api/transactions/", token=reader)
            assert status == 200, (status, data)
        assert "retrying on the primary" in trusting.log.read_text()
    finally:
        trusting.stop()
