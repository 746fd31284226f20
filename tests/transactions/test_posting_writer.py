"""The posting writer (transactions/writer.py): transfers committed several to a database
transaction, and never moved twice or lost when the writer fails.

The batch itself (services.post_transfers) is tested on SQLite and PostgreSQL; the writer,
running in a thread or as its own process with its own database connection, on PostgreSQL.
"""

import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import OperationalError, connection
from django.db.models import Sum

from tests.conftest import client_for
from tests.factories import CustomerFactory, fund
from transactions import services, writer, writer_wire
from transactions.audit import find_ledger_problems
from transactions.models import Account, Transaction
from transactions.services import AccountNotFound, InsufficientFunds, Posting, TransferOrder

ROOT = Path(__file__).resolve().parents[2]


def order(source, recipient, amount, **fields) -> TransferOrder:
    return TransferOrder(
        source_id=source.account.pk, recipient_account_no=recipient.account.account_no, amount=Decimal(amount),
        performed_by_id=source.user.pk, description="Transfer", reference=fields.pop("reference", None)
        or services.new_reference(), **fields)


def balance(customer) -> Decimal:
    return Account.objects.get(pk=customer.account.pk).balance


# --- The batch --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_batch_posts_each_order_against_the_balances_the_ones_before_it_left():
    alice, bob, carol = CustomerFactory.create_batch(3)
    fund(alice, "100.00")
    answers = services.post_transfers([
        order(alice, bob, "60.00"),
        order(alice, carol, "60.00"),  # only 40 left: refused, and nothing of it written
        order(bob, carol, "10.00"),
    ])
    assert isinstance(answers[0], Posting) and isinstance(answers[2], Posting)
    assert isinstance(answers[1], InsufficientFunds)
    assert answers[0].balance_after(alice.account) == Decimal("40.00")
    assert answers[2].balance_after(bob.account) == Decimal("50.00")
    assert (balance(alice), balance(bob), balance(carol)) == (Decimal("40.00"), Decimal("50.00"), Decimal("10.00"))
    assert Transaction.objects.filter(kind="transfer").count() == 2
    assert find_ledger_problems() == []


@pytest.mark.django_db
def test_an_unknown_recipient_refuses_its_order_only():
    alice, bob = CustomerFactory.create_batch(2)
    fund(alice, "50.00")
    stranger = TransferOrder(source_id=alice.account.pk, recipient_account_no="0000000000", amount=Decimal("5.00"),
                             performed_by_id=alice.user.pk, description="Transfer", reference=services.new_reference())
    answers = services.post_transfers([stranger, order(alice, bob, "5.00")])
    assert isinstance(answers[0], AccountNotFound)
    assert isinstance(answers[1], Posting)
    assert balance(bob) == Decimal("5.00")


@pytest.mark.django_db
def test_recovering_answers_with_the_posting_already_written_under_the_reference():
    alice, bob = CustomerFactory.create_batch(2)
    fund(alice, "50.00")
    first = services.post_transfers([order(alice, bob, "5.00", reference="TXRECOVERED000001")])[0]
    again = services.post_transfers([order(alice, bob, "5.00", reference="TXRECOVERED000001")], recovering=True)[0]
    assert again.transaction.pk == first.transaction.pk
    assert again.balance_after(alice.account) == Decimal("45.00")
    assert Transaction.objects.filter(kind="transfer").count() == 1
    assert balance(alice) == Decimal("45.00")


@pytest.mark.django_db
def test_an_order_past_its_expiry_under_the_locks_is_not_posted():
    alice, bob = CustomerFactory.create_batch(2)
    fund(alice, "50.00")
    answers = services.post_transfers([
        order(alice, bob, "5.00", expires_at=time.monotonic() - 0.001),
        order(alice, bob, "7.00", expires_at=time.monotonic() + 60),
    ])
    assert answers[0] is None and isinstance(answers[1], Posting)
    assert balance(bob) == Decimal("7.00")
    assert Transaction.objects.filter(kind="transfer").count() == 1


@pytest.mark.django_db
def test_an_answer_carries_no_password_hash():
    alice, bob = CustomerFactory.create_batch(2)
    fund(alice, "50.00")
    posting = services.post_transfers([order(alice, bob, "1.00")])[0]
    message = writer_wire.frame(writer_wire.ORDER, writer.without_secrets(posting))
    for user in (alice.user, bob.user):
        assert user.password and user.password.encode() not in message
    assert alice.user.username.encode() in message  # the holders themselves travel: the response names them


@pytest.mark.postgres  # transaction=True: SQLite's append-only triggers refuse the flush after it
@pytest.mark.django_db(transaction=True)
def test_a_request_that_cannot_look_its_transfer_up_says_the_outcome_is_unknown(settings, monkeypatch):
    settings.POSTING_WRITER_SOCKET = "/nonexistent/writer.sock"
    alice, bob = CustomerFactory.create_batch(2)
    fund(alice, "50.00")
    monkeypatch.setattr(writer, "hand_over", lambda order: writer.NO_ANSWER)

    def database_away(*args, **kwargs):
        raise OperationalError("the database went away")

    monkeypatch.setattr(services, "post_transfers", database_away)
    response = client_for(alice.user).post(
        "/api/balance-transfer/", {"amount": "5.00", "recipient_account_no": bob.account.account_no}, format="json")
    assert response.status_code == 503
    assert response.json()["code"] == "transfer_outcome_unknown"


@pytest.mark.postgres  # transaction=True: SQLite's append-only triggers refuse the flush after it
@pytest.mark.django_db(transaction=True)  # outside a transaction, or the writer is not even tried
def test_with_no_writer_listening_the_request_posts_at_once(settings, tmp_path):
    settings.POSTING_WRITER_SOCKET = str(tmp_path / "nobody.sock")
    writer._disconnect()
    writer._connection.down_until = 0.0
    alice, bob = CustomerFactory.create_batch(2)
    fund(alice, "50.00")
    started = time.monotonic()
    response = client_for(alice.user).post(
        "/api/balance-transfer/", {"amount": "5.00", "recipient_account_no": bob.account.account_no}, format="json")
    assert response.status_code == 201
    assert writer._connection.down_until > started  # it tried the socket, found no one ...
    assert time.monotonic() - started < settings.POSTING_WRITER_WAIT_SECONDS  # ... and did not wait
    assert balance(bob) == Decimal("5.00")
    writer._connection.down_until = 0.0


# --- The writer, on PostgreSQL ------------------------------------------------------------------


@pytest.fixture
def socket_dir():
    # A short path of its own: a unix socket's path may not exceed 107 bytes.
    path = tempfile.mkdtemp(prefix="pw-", dir="/tmp")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def start_writer(settings, socket_dir):
    """Start a writer (of the class given) in a thread with its own database connection,
    and point the app at it."""
    running = []

    def start(writer_class=writer.Writer, **kwargs):
        path = os.path.join(socket_dir, "writer.sock")
        instance = writer_class(path, **kwargs)
        instance.listen()
        stop = threading.Event()

        def loop():
            try:
                while not stop.is_set():
                    instance.once(timeout=0.05)
            finally:
                connection.close()

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        settings.POSTING_WRITER_SOCKET = path
        running.append((instance, stop, thread))
        return instance

    yield start
    writer._disconnect()
    writer._connection.down_until = 0.0
    for instance, stop, thread in running:
        stop.set()
        thread.join(10)
        instance.selector.close()
        instance.server.close()


def fire(calls, workers=20):
    """Run the callables at once, each thread with its own database connection and its own
    connection to the writer."""

    def run(call):
        try:
            return call()
        finally:
            writer._disconnect()
            connection.close()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run, calls))


def send(customer, recipient_account_no, amount):
    return client_for(customer.user).post(
        "/api/balance-transfer/", {"amount": amount, "recipient_account_no": recipient_account_no}, format="json")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_through_the_writer_a_transfer_answers_as_a_lone_one(start_writer):
    alice, bob = CustomerFactory.create_batch(2)
    fund(alice, "100.00")
    lone = send(alice, bob.account.account_no, "10.00")  # no writer yet: posted by the request
    started = start_writer()
    batched = send(alice, bob.account.account_no, "10.00")
    assert started.orders == 1
    assert (lone.status_code, batched.status_code) == (201, 201)
    assert batched.json().keys() == lone.json().keys()
    assert batched.json()["balance"] == "80.00"
    assert (batched.json()["sender_name"], batched.json()["recipient_name"]) == (
        lone.json()["sender_name"], lone.json()["recipient_name"])
    assert batched.json()["reference"] != lone.json()["reference"]
    tx = Transaction.objects.get(reference=batched.json()["reference"])
    assert tx.performed_by_id == alice.user.pk
    # The refusals are the service's, with the same answers.
    short = send(alice, bob.account.account_no, "1000.00")
    unknown = send(alice, "0000000000", "1.00")
    assert short.status_code == 400 and short.json()["code"] == "insufficient_funds"
    assert unknown.status_code == 400 and unknown.json()["code"] == "account_not_found"
    assert started.orders == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_300_concurrent_transfers_through_the_writer_conserve_money(start_writer, settings):
    # Requests wait for their answer however long it takes: here every transfer must be the writer's.
    # (With the usual 2 s, 20 threads and one GIL, some give up and post their own: also safe.)
    settings.POSTING_WRITER_WAIT_SECONDS = 60
    started = start_writer(Unhurried)
    customers = CustomerFactory.create_batch(10)
    for customer in customers:
        fund(customer, "100.00")
    rng = random.Random(11)
    calls = []
    for _ in range(300):
        sender, recipient = rng.sample(customers, 2)
        amount = Decimal(f"{rng.randint(1, 4000) / 100:.2f}")

        def call(s=sender, r=recipient, a=amount):
            # The service, as the view calls it (the HTTP path is the test above): fast
            # enough in one process for requests to meet at the writer.
            try:
                services.transfer(source=s.account, recipient_account_no=r.account.account_no, amount=a,
                                  performed_by=s.user)
            except InsufficientFunds:
                return "refused"
            return "posted"

        calls.append(call)
    outcomes = fire(calls)
    assert Transaction.objects.filter(kind="transfer").count() == outcomes.count("posted")
    customer_total = Account.objects.filter(kind="customer").aggregate(total=Sum("balance"))["total"]
    assert customer_total == Decimal("1000.00")
    assert not Account.objects.filter(kind="customer", balance__lt=0).exists()
    assert find_ledger_problems() == []
    assert started.orders == 300  # every one went through the writer ...
    assert started.batches < started.orders  # ... several to a database transaction


class Unhurried(writer.Writer):
    """Takes 50 ms over each batch, as a busy database would: orders queue up meanwhile
    (in this one Python process the requests are otherwise too slow to ever meet)."""

    def post(self, orders):
        time.sleep(0.05)
        return super().post(orders)


class DiesBeforeAnswering(writer.Writer):
    """Posts and commits, then goes away without a word."""

    def send(self, connection, body):
        if isinstance(body, Posting):
            self.drop(connection)
        else:
            super().send(connection, body)


class DiesBeforePosting(writer.Writer):
    """Reads the orders and goes away."""

    def post(self, orders):
        for worker in [key.fileobj for key in self.selector.get_map().values() if key.data is not None]:
            self.drop(worker)
        return [None] * len(orders)


class Late(writer.Writer):
    """Posts each batch after its requests have stopped waiting."""

    def post(self, orders):
        time.sleep(0.8)
        return super().post(orders)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("writer_class", "posted_by_writer"), [(DiesBeforeAnswering, 1), (DiesBeforePosting, 0)],
                         ids=["gone-after-committing", "gone-before-posting"])
def test_a_writer_gone_mid_transfer_leaves_it_moved_once(start_writer, writer_class, posted_by_writer):
    """After committing: the request finds the writer's posting under its reference and
    answers with it. Before posting: the request finds none and posts it itself."""
    started = start_writer(writer_class)
    alice, bob = CustomerFactory.create_batch(2)
    fund(alice, "100.00")
    response = send(alice, bob.account.account_no, "10.00")
    assert response.status_code == 201
    assert started.orders == posted_by_writer
    assert Transaction.objects.filter(kind="transfer").count() == 1
    assert response.json()["reference"] == Transaction.objects.get(kind="transfer").reference
    assert response.json()["balance"] == "90.00"
    assert (balance(alice), balance(bob)) == (Decimal("90.00"), Decimal("10.00"))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_writer_reaching_an_order_after_its_request_gave_up_leaves_it_alone(start_writer, settings):
    settings.POSTING_WRITER_WAIT_SECONDS = 0.3
    started = start_writer(Late)
    alice, bob, carol = CustomerFactory.create_batch(3)
    fund(alice, "100.00")
    response = send(alice, bob.account.account_no, "10.00")
    assert response.status_code == 201  # posted by the request itself, after 0.3 s
    deadline = time.monotonic() + 10
    while started.unposted == 0:  # the writer gets the locks at last, finds the order expired
        assert time.monotonic() < deadline, "the writer never reached the order"
        time.sleep(0.05)
    assert Transaction.objects.filter(kind="transfer").count() == 1
    assert (balance(alice), balance(bob)) == (Decimal("90.00"), Decimal("10.00"))
    # and the writer serves the next one
    settings.POSTING_WRITER_WAIT_SECONDS = 5
    writer._connection.down_until = 0.0
    assert send(alice, carol.account.account_no, "5.00").status_code == 201
    assert started.unposted == 1 and Transaction.objects.filter(kind="transfer").count() == 2
    assert find_ledger_problems() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_writer_process_killed_mid_load_loses_and_doubles_nothing(settings, socket_dir):
    """The real command, killed with SIGKILL while 200 transfers are under way."""
    customers = CustomerFactory.create_batch(10)
    for customer in customers:
        fund(customer, "100.00")
    path = os.path.join(socket_dir, "writer.sock")
    db = connection.settings_dict
    env = dict(os.environ, POSTING_WRITER_SOCKET=path, DEBUG="1", PYTHONUNBUFFERED="1",
               DATABASE_URL=f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}")
    process = subprocess.Popen([sys.executable, "manage.py", "run_posting_writer"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not os.path.exists(path):
            assert process.poll() is None and time.monotonic() < deadline, "the writer did not start"
            time.sleep(0.05)
        settings.POSTING_WRITER_SOCKET = path
        rng = random.Random(5)
        calls = []
        for number in range(200):
            sender, recipient = rng.sample(customers, 2)
            amount = f"{rng.randint(1, 3000) / 100:.2f}"

            def call(s=sender, r=recipient, a=amount, n=number):
                if n == 60:
                    os.kill(process.pid, signal.SIGKILL)
                return send(s, r.account.account_no, a).status_code

            calls.append(call)
        statuses = fire(calls, workers=10)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == -signal.SIGKILL
    assert set(statuses) <= {201, 400}
    assert Transaction.objects.filter(kind="transfer").count() == statuses.count(201)
    customer_total = Account.objects.filter(kind="customer").aggregate(total=Sum("balance"))["total"]
    assert customer_total == Decimal("1000.00")
    assert find_ledger_problems() == []


# --- Where the writer listens -------------------------------------------------------------------


def test_the_writer_refuses_a_directory_other_users_can_enter(socket_dir):
    shared = os.path.join(socket_dir, "shared")
    os.mkdir(shared)
    os.chmod(shared, 0o755)
    with pytest.raises(writer.WriterRefused, match="open to other users"):
        writer.Writer(os.path.join(shared, "writer.sock")).listen()
    assert oct(os.stat(shared).st_mode & 0o777) == "0o755"  # left as it was


def test_the_writer_makes_its_socket_private_and_will_not_take_a_live_writers_place(socket_dir):
    path = os.path.join(socket_dir, "own", "writer.sock")
    first = writer.Writer(path)
    first.listen()
    try:
        assert os.stat(os.path.dirname(path)).st_mode & 0o777 == 0o700
        assert os.stat(path).st_mode & 0o777 == 0o600
        with pytest.raises(writer.WriterRefused, match="another posting writer"):
            writer.Writer(path).listen()
    finally:
        first.selector.close()
        first.server.close()
    second = writer.Writer(path)  # the first is gone: its leftover socket file is replaced
    second.listen()
    second.selector.close()
    second.server.close()
