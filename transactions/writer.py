"""The posting writer: customers' transfers committed several to a database transaction.

Why: a transfer in its own database transaction costs PostgreSQL a commit, round trips and
statement start-ups once per transfer; measured, that made a transfer cost 2-3 TPC-B
transactions of database CPU (docs/scaling.md). A writer that commits the transfers which
arrive at the same moment together, from one connection, pays those once per batch. The
primary is the one part of the bank that cannot be scaled out by adding machines, so its
CPU is worth spending app CPU on.

How a transfer travels (services.transfer, when POSTING_WRITER_SOCKET is set):

1. The request sends its `TransferOrder` over this process's connection to the node's
   writer (`manage.py run_posting_writer`), a unix socket: one writer per app node, every
   worker process of the node connected to it.
2. The writer reads every order waiting on any connection (up to POSTING_WRITER_BATCH),
   posts them in one database transaction (`services.post_transfers`: one statement locks
   all their accounts; each is checked and written as a lone transfer is) and sends each
   its answer: the posting, the refusal (a DomainError), or None ("post it yourself": its
   database failed).
3. The request waits for the answer up to POSTING_WRITER_WAIT_SECONDS.

Nothing here can move money twice or lose it:

- No writer (the socket is missing, refuses, or failed a moment ago): the request posts
  the transfer itself, as with the writer off (NOT_HANDED_OVER).
- Handed over and no answer (the writer died mid-batch, which the request sees at once as
  the connection closing, or it is stuck past the wait): the request posts the transfer
  itself with `recovering` (NO_ANSWER). It locks the same accounts first, so a writer still
  posting it has committed or rolled back by then, and looks the order's reference up:
  found, it answers with that posting; not found, it posts it (or refuses it).
- A writer posts an order only if, with the accounts locked, the order's expiry (the
  machine's monotonic clock, on which the request's wait ends no sooner) has not passed.
  Holding those locks until it commits, it is then found by a request that gave up
  meanwhile; otherwise it leaves the order alone, so a request that decided about its
  transfer itself (posted, refused, or failed) is never contradicted. The reference's
  unique index stands behind both.
- A request whose look-up itself fails (the database away) cannot know what happened: it
  answers 503 `transfer_outcome_unknown`, not the usual "nothing was changed".
- Writers on different nodes share nothing but the database: the accounts' row locks
  order them as they order lone transfers.

The socket lives in a directory of the app's user that no one else may enter, and each
side checks that the other runs as that user (SO_PEERCRED): what travels on it is pickled,
and only the app itself may speak there.
"""

import dataclasses
import logging
import os
import pickle
import selectors
import signal
import socket
import struct
import threading
import time

from django.conf import settings
from django.db import DatabaseError, close_old_connections

from bank_project.errors import DomainError

from . import services
from .services import Posting, TransferOrder
from .writer_wire import ORDER, STATS, frame, read_message

logger = logging.getLogger("bank.ledger.writer")

NOT_HANDED_OVER = object()  # the order never reached a writer: post it, nothing to look up
NO_ANSWER = object()  # the order may have reached the writer; no answer came: look, then post

# After failing to reach the writer, a process posts its transfers itself for this long
# before trying the socket again.
RETRY_SECONDS = 1.0


def without_secrets(posting: Posting) -> Posting:
    """The posting as sent to the request: the holders' password hashes stay behind (left
    deferred; the response names the holders and has no use for them)."""
    for account in (posting.transaction.source, posting.transaction.destination):
        if account.customer_id is not None:
            account.customer.user.__dict__.pop("password", None)
    return posting


# --- The request's side ----------------------------------------------------------------------


class _Connection(threading.local):
    """This process's (this thread's) connection to the node's writer."""

    sock: socket.socket | None = None
    down_until: float = 0.0


_connection = _Connection()


def _connected() -> socket.socket | None:
    if _connection.sock is not None:
        return _connection.sock
    if time.monotonic() < _connection.down_until:
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(settings.POSTING_WRITER_SOCKET)
        _same_user(sock)  # its answers are unpickled: only our own writer may give them
    except OSError as exc:
        sock.close()
        _connection.down_until = time.monotonic() + RETRY_SECONDS
        logger.warning("posting writer unreachable (%s); transfers are posted by the requests for %ss",
                       exc, RETRY_SECONDS)
        return None
    _connection.sock = sock
    return sock


def _same_user(sock: socket.socket) -> None:
    """Raise PermissionError unless the process at the other end runs as this one's user."""
    _, uid, _ = struct.unpack("3i", sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))
    if uid != os.getuid():
        raise PermissionError(f"the process on the posting writer's socket runs as uid {uid}, not {os.getuid()}")


def _disconnect() -> None:
    if _connection.sock is not None:
        _connection.sock.close()
        _connection.sock = None


def hand_over(order: TransferOrder):
    """Give `order` to the node's writer and wait for its answer: a Posting, a DomainError
    (refused), NOT_HANDED_OVER or NO_ANSWER (the caller then posts it; see above)."""
    sock = _connected()
    if sock is None:
        return NOT_HANDED_OVER
    wait = settings.POSTING_WRITER_WAIT_SECONDS
    # Taken before sending: this request gives up no sooner than `wait` after it.
    order = dataclasses.replace(order, expires_at=time.monotonic() + wait)
    try:
        sock.settimeout(wait)
        sock.sendall(frame(ORDER, order))
        _, answer = read_message(sock)
    except Exception as exc:  # closed, timed out, garbled: whatever it was, looking first is safe
        # Closed, so that an answer arriving late is never read as the next order's.
        _disconnect()
        _connection.down_until = time.monotonic() + RETRY_SECONDS
        logger.warning("posting writer: no answer for %s (%s: %s); posting it here",
                       order.reference, type(exc).__name__, exc)
        return NO_ANSWER
    if isinstance(answer, Posting | DomainError):
        return answer
    return NO_ANSWER  # "post it yourself": the writer's database failed


# --- The writer's side -----------------------------------------------------------------------


class WriterRefused(Exception):
    """The writer will not listen where it was told to (the command says why and exits)."""


def _listening(path: str) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(path)
        except OSError:
            return False
    return True


class Writer:
    """Serves the node's worker processes on a unix socket: reads the orders waiting on all
    connections, posts them in one transaction, answers each."""

    def __init__(self, path: str, *, batch: int | None = None):
        self.path = path
        self.batch = batch or settings.POSTING_WRITER_BATCH
        self.stopping = False
        self.orders = self.batches = self.unposted = 0
        self.selector = selectors.DefaultSelector()

    def listen(self) -> None:
        directory = os.path.dirname(os.path.abspath(self.path))
        if not os.path.isdir(directory):
            os.makedirs(directory, mode=0o700)
        owner_and_mode = os.stat(directory)
        if owner_and_mode.st_uid != os.getuid():
            raise WriterRefused(f"{directory} belongs to another user: give the posting writer's socket a "
                                f"directory of its own (mode 0700)")
        if owner_and_mode.st_mode & 0o077:
            # Anyone who can connect could order transfers and make the app unpickle: only the
            # app's user may reach the socket. (Not chmod-ed here: it may be /tmp itself.)
            raise WriterRefused(f"{directory} is open to other users: give the posting writer's socket a "
                                f"directory of its own (mode 0700), e.g. {directory}/bank-writer/.")
        if os.path.exists(self.path):
            if _listening(self.path):
                raise WriterRefused(f"another posting writer is listening on {self.path}")
            os.unlink(self.path)  # a previous writer's, gone
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(self.path)
        os.chmod(self.path, 0o600)
        server.listen(128)
        server.setblocking(False)
        self.selector.register(server, selectors.EVENT_READ, data=None)
        self.server = server

    def run(self) -> None:
        def stop(*_):
            self.stopping = True

        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, stop)
        self.listen()
        logger.info("posting writer listening on %s (batches of up to %s)", self.path, self.batch)
        try:
            while not self.stopping:
                self.once(timeout=0.5)
        finally:
            self.selector.close()
            self.server.close()
            if os.path.exists(self.path):
                os.unlink(self.path)  # requests post their own transfers from now on
            logger.info("posting writer stopped: %s orders in %s batches", self.orders, self.batches)

    def once(self, timeout: float | None = None) -> int:
        """Wait for orders, post those waiting, answer. Returns how many were taken.

        It does not linger for more: measured, waiting 2 ms made batches bigger (2.6
        transfers instead of 2.0) but cost the database no less per transfer and the
        requests time (docs/scaling.md)."""
        taken = self.take(self.selector.select(timeout))
        for start in range(0, len(taken), self.batch):
            chunk = taken[start:start + self.batch]
            answers = self.post([order for _, order in chunk])
            for (connection, order), answer in zip(chunk, answers, strict=True):
                if answer is None:
                    # Expired (its request may be deciding about it itself) or failed: not posted.
                    self.unposted += 1
                    logger.warning("posting writer: %s not posted; its request posts it", order.reference)
                self.send(connection, without_secrets(answer) if isinstance(answer, Posting) else answer)
        return len(taken)

    def take(self, events) -> list:
        """The orders among `events` as (connection, order); new connections accepted, stats answered."""
        taken = []
        for key, _ in events:
            if key.data is None:
                self.accept()
                continue
            connection = key.fileobj
            try:
                kind, order = read_message(connection)
                if kind == ORDER and not (isinstance(order, TransferOrder) and order.expires_at):
                    raise TypeError(f"not an order with an expiry: {order!r}")
            except Exception:
                self.drop(connection)  # its worker went away (or sent garbage): no answer owed
                continue
            if kind == STATS:
                self.send(connection, {"orders": self.orders, "batches": self.batches, "unposted": self.unposted})
            elif kind == ORDER:
                taken.append((connection, order))
        return taken

    def accept(self) -> None:
        """Every connection waiting (a worker's first transfer, or its first after a failure)."""
        while True:
            try:
                connection, _ = self.server.accept()
            except BlockingIOError:
                return
            except OSError as exc:  # out of file descriptors: those left wait, their workers post their own
                logger.warning("posting writer: cannot accept a connection (%s)", exc)
                return
            try:
                _same_user(connection)  # only our own workers may order transfers
            except OSError as exc:
                logger.error("posting writer: refused a connection (%s)", exc)
                connection.close()
                continue
            connection.setblocking(True)
            connection.settimeout(1.0)  # a worker that sent half a message must not stall the others
            self.selector.register(connection, selectors.EVENT_READ, data="worker")

    def drop(self, connection) -> None:
        try:
            self.selector.unregister(connection)
        except (KeyError, ValueError):
            pass
        connection.close()

    def send(self, connection, body) -> None:
        try:
            message = frame(ORDER, body)
        except (pickle.PicklingError, TypeError, AttributeError):
            logger.exception("posting writer: an answer could not be pickled; its request posts its own")
            message = frame(ORDER, None)
        try:
            connection.sendall(message)
        except OSError:
            self.drop(connection)  # the request gave up (and posts, or has posted, it itself)

    def post(self, orders: list[TransferOrder]) -> list:
        close_old_connections()  # as a request does: a broken or too old connection is replaced
        try:
            answers = services.post_transfers(orders)
        except DatabaseError as exc:
            if len(orders) == 1:
                logger.warning("posting writer: %s failed (%s: %s)", orders[0].reference, type(exc).__name__, exc)
                return [None]
            # One order can fail the batch (a reference its request posted meanwhile): each alone.
            logger.warning("posting writer: a batch of %s failed (%s: %s); posting them one by one",
                           len(orders), type(exc).__name__, exc)
            return [answer for order in orders for answer in self.post([order])]
        except Exception:
            # A bug, not a refusal: the requests post their own (and meet it there, as a 500
            # with its traceback logged) rather than the writer dying with the node's batch.
            logger.exception("posting writer: a batch of %s failed; its requests post their own", len(orders))
            return [None] * len(orders)
        self.batches += 1
        self.orders += len(orders)
        return answers
