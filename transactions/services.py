"""Every movement of money goes through these functions.

Each runs in one database transaction: it locks every account it touches in one
statement ordered by primary key (so A->B and B->A at once cannot deadlock), re-checks
statuses and funds under the lock, writes the transaction and its entries (summing to
zero) and the new balances, and commits. Any failure leaves nothing behind.
"""

import functools
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.transaction import TransactionManagementError

from accounts.models import Customer, User
from bank_project.errors import Conflict, DomainError
from bank_project.money import InvalidAmount, validate_amount  # noqa: F401 (callers catch services.InvalidAmount)
from bank_project.rows import Columns, cache_relation, insert_values, load_row, mark_saved, placeholders
from notifications import services as notifications
from notifications.models import Notification

from .models import Account, Entry, Transaction, generate_account_no

logger = logging.getLogger("bank.ledger")

# The bank's own accounts: the other side of money entering or leaving customers' hands.
INTERNAL_ACCOUNTS = {
    Account.CASH: "Cash",
    Account.LOANS_RECEIVABLE: "Loans receivable",
    Account.INTEREST_INCOME: "Interest income",
    Account.GATEWAY_CLEARING: "Gateway clearing",
    Account.INTEREST_EXPENSE: "Interest expense",  # interest paid on savings (close of business)
    Account.FEE_INCOME: "Fee income",  # late fees on loan installments (close of business)
}


# --- Domain errors ---------------------------------------------------------------------


class InsufficientFunds(DomainError):
    code = "insufficient_funds"
    default_message = "Insufficient funds: the account balance is lower than the amount."


class AccountFrozen(DomainError):
    code = "account_frozen"
    default_message = "The account is frozen: it can neither send nor receive money."


class AccountClosed(DomainError):
    code = "account_closed"
    default_message = "The account is closed."


class AccountNotFound(DomainError):
    code = "account_not_found"
    default_message = "No account with this account number exists."


class SameAccount(DomainError):
    code = "same_account"
    default_message = "You cannot transfer money to the same account."


class AlreadyReversed(Conflict):
    code = "already_reversed"
    default_message = "This transaction has already been reversed."


class ReasonRequired(DomainError):
    code = "reason_required"
    default_message = "A reason is required to reverse a transaction."


class NotReversible(DomainError):
    code = "not_reversible"
    default_message = "This transaction cannot be reversed."


class TransferOutcomeUnknown(DomainError):
    status_code = 503
    code = "transfer_outcome_unknown"
    default_message = ("The database did not answer while we checked whether your transfer was made: "
                       "look at your transactions before sending it again.")


class InvalidStatusChange(Conflict):
    code = "invalid_status_change"
    default_message = "The account is not in a state that allows this."


# --- Accounts ---------------------------------------------------------------------------


def open_customer_account(*, customer: Customer) -> Account:
    """Open the customer's account with a fresh, unique, check-digited number."""
    for _ in range(10):
        try:
            with transaction.atomic():
                return Account.objects.create(
                    kind=Account.Kind.CUSTOMER, customer=customer, currency=settings.BANK_CURRENCY
                )
        except IntegrityError:
            if Account.objects.filter(customer=customer).exists():
                raise
            # An account number collision (1 in 10^8 per existing account): draw again.
    raise RuntimeError("Could not draw a free account number after 10 attempts.")


def new_reference() -> str:
    return "TX" + secrets.token_hex(8).upper()


# --- Posting ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Posting:
    """What a ledger service wrote: the transaction and its entries, each with the
    balance its account was left with."""

    transaction: Transaction
    entries: tuple[Entry, ...]

    def balance_after(self, account) -> Decimal:
        """The balance `account` (an Account or its pk) was left with by this posting."""
        account_id = getattr(account, "pk", account)
        return next(entry.balance_after for entry in self.entries if entry.account_id == account_id)


def internal_shard(key: int) -> int:
    """The shard of every internal account that postings for customer account `key` use.

    A stable function of the customer account's id: a customer's postings always land on
    the same shard (a reversal finds them there), and customers spread evenly over shards.
    """
    return key % settings.LEDGER_INTERNAL_SHARDS


def ensure_internal_accounts(account_model=Account, using: str = "default") -> None:
    """Create the bank's own accounts that are missing: every code of INTERNAL_ACCOUNTS,
    in LEDGER_INTERNAL_SHARDS rows each. Run by a data migration and after every
    `migrate` (transactions.apps), so a new code or a raised shard count needs nothing else.
    """
    sharded = any(field.name == "shard" for field in account_model._meta.get_fields())
    shards = range(settings.LEDGER_INTERNAL_SHARDS) if sharded else (0,)
    manager = account_model.objects.using(using)
    existing = set(manager.filter(code__in=list(INTERNAL_ACCOUNTS)).values_list("code", "shard" if sharded else "code"))
    missing = [
        account_model(
            kind="internal", code=code, name=name, currency=settings.BANK_CURRENCY,
            account_no=generate_account_no(), **({"shard": shard} if sharded else {}),
        )
        for code, name in INTERNAL_ACCOUNTS.items()
        for shard in shards
        if (code, shard if sharded else code) not in existing
    ]
    manager.bulk_create(missing)


def lock_accounts(
    *, ids=(), codes=(), account_nos=(), shard_key: int | None = None, holders: bool = True
) -> list[Account]:
    """Lock the accounts in ONE statement, in primary-key order: the deadlock-free order.

    Accounts are named by pk, by internal code or by account number; the caller picks
    them out of the returned list. An internal code locks one shard of that account: the
    one of `shard_key` (a customer account's id), by default of the first of `ids`.
    `holders`: also read each account's customer and user (for a response that names
    them), joined into the same statement; without, the statement reads the accounts only.

    Written as SQL: compiling it through the ORM cost a fifth of a transfer's Python CPU
    (docs/benchmarks.md).
    """
    if not connection.in_atomic_block:  # as select_for_update refuses: a lock must outlive the statement
        raise TransactionManagementError("lock_accounts() must run inside transaction.atomic.")
    ids, codes, account_nos = list(ids), list(codes), list(account_nos)
    if not (ids or codes or account_nos):
        return []
    params = [*ids, *account_nos]
    if codes:
        if shard_key is None:
            shard_key = next(iter(ids), 0)
        params += [*codes, internal_shard(shard_key)]
    with connection.cursor() as cursor:
        cursor.execute(_lock_sql(len(ids), len(account_nos), len(codes), holders, connection.vendor), params)
        rows = cursor.fetchall()
    columns = [_ACCOUNT, *_HOLDER] if holders else [_ACCOUNT]
    accounts = []
    for row in rows:
        found = load_row(row, columns)
        account = found[0]
        if holders:
            cache_relation(account, Account.customer, found[1])
            if found[1] is not None:
                cache_relation(found[1], Customer.user, found[2])
        accounts.append(account)
    return accounts


_ACCOUNT = Columns(Account, "a")
_HOLDER = (Columns(Customer, "c"), Columns(User, "u"))


@functools.cache  # one text per shape of call (how many ids, numbers, codes), built once per process
def _lock_sql(ids: int, account_nos: int, codes: int, holders: bool, vendor: str) -> str:
    conditions = []
    if ids:
        conditions.append(f"a.id IN ({placeholders(ids)})")
    if account_nos:
        conditions.append(f"a.account_no IN ({placeholders(account_nos)})")
    if codes:
        conditions.append(f"(a.code IN ({placeholders(codes)}) AND a.shard = %s)")
    columns = [_ACCOUNT, *_HOLDER] if holders else [_ACCOUNT]
    sql = f"SELECT {', '.join(each.sql() for each in columns)} FROM {_ACCOUNT.table()}"
    if holders:
        customer, user = _HOLDER
        sql += (f" LEFT OUTER JOIN {customer.table()} ON c.id = a.customer_id"
                f" LEFT OUTER JOIN {user.table()} ON u.id = c.user_id")
    sql += f" WHERE {' OR '.join(conditions)} ORDER BY a.id"
    if connection.features.has_select_for_update:
        # OF a: lock the account rows only, not the joined customer and user rows.
        sql += " FOR UPDATE OF a" if holders and connection.features.has_select_for_update_of else " FOR UPDATE"
    return sql


def by_code(accounts: list[Account], code: str) -> Account:
    """The (one shard of the) internal account `code` among accounts lock_accounts returned."""
    account = next((account for account in accounts if account.code == code), None)
    if account is None:  # made by migrate; a missing one is a broken deployment, not bad input
        raise RuntimeError(f"The bank's internal account {code!r} is missing: run manage.py migrate.")
    return account


def by_pk(accounts: list[Account], pk: int) -> Account:
    return next(account for account in accounts if account.pk == pk)


def check_can_move(account: Account, *, allow_frozen: bool = False) -> None:
    if account.status == Account.Status.CLOSED:
        raise AccountClosed(f"Account {account.account_no} is closed.")
    if account.status == Account.Status.FROZEN and not allow_frozen:
        raise AccountFrozen(f"Account {account.account_no} is frozen: it can neither send nor receive money.")


def post_transaction(
    *,
    kind: str,
    legs: list[tuple[Account, Decimal]],
    amount: Decimal,
    source: Account,
    destination: Account,
    performed_by: User | None,
    description: str = "",
    reverses: Transaction | None = None,
    allow_frozen: bool = False,
    notices: Callable[[Posting], list[Notification | None]] | None = None,
    reference: str | None = None,
) -> Posting:
    """Write one balanced transaction. Call inside transaction.atomic, with every account
    in `legs` locked by lock_accounts (the instances it returned).

    `legs` are (account, signed amount) pairs summing to zero; + raises a balance.
    Re-checks statuses and funds, inserts the transaction, its entries in one bulk
    insert, and the new balances in one UPDATE.
    `notices`: given the posting about to be written, a list of the customers' outbox rows
    (unsaved notifications; a None in it is skipped) to write with it; on PostgreSQL in the
    same statement.
    `reference`: the transaction's reference when the caller chose it (a fresh one otherwise).
    """
    if sum(signed for _, signed in legs) != 0:
        raise ValueError("A transaction's entries must sum to zero.")
    for account, signed in legs:
        check_can_move(account, allow_frozen=allow_frozen)
        if signed < 0 and not account.is_internal and account.balance + signed < 0:
            raise InsufficientFunds(
                f"Insufficient funds: account {account.account_no} holds {account.balance}, "
                f"less than the {-signed} needed."
            )

    tx = Transaction(
        reference=reference or new_reference(),
        kind=kind,
        amount=amount,
        currency=source.currency,
        source=source,
        destination=destination,
        description=description[:255],
        performed_by=performed_by,
        reverses=reverses,
    )
    # The new balances are applied to the locked instances only once written: a refused write
    # (reverse()'s second reversal, in its savepoint) leaves them as they are in the database.
    balances, entries = {}, []
    for account, signed in legs:
        balances[account.pk] = balances.get(account.pk, account.balance) + signed
        entries.append(Entry(transaction=tx, account_id=account.pk, amount=signed, balance_after=balances[account.pk]))
    posting = Posting(transaction=tx, entries=tuple(entries))
    outbox = [row for row in notices(posting) if row is not None] if notices else []
    if connection.vendor == "postgresql":
        _write_posting_in_one_statement(tx, entries, balances, outbox)
        if outbox:
            notifications.deliver_after_commit()
    else:
        tx.save(force_insert=True)
        for entry in entries:
            entry.transaction = tx  # its transaction_id, now that there is one
        Entry.objects.bulk_create(entries)
        _write_balances(balances)
        if outbox:
            notifications.write_outbox(outbox)
    for account, _ in legs:
        account.balance = balances[account.pk]
    Transaction.reversal.related.set_cached_value(tx, None)  # new: not reversed, no need to ask
    return posting


def _write_balances(balances: dict) -> None:
    """The new balances of the locked accounts, in one UPDATE.

    Written as SQL: the same statement through QuerySet.update(balance=Case(When(...)))
    is costly to compile on every transfer (docs/benchmarks.md).
    """
    table, pk, balance = Account._meta.db_table, Account._meta.pk.column, Account._meta.get_field("balance").column
    quote = connection.ops.quote_name
    whens = " ".join(["WHEN %s THEN %s"] * len(balances))
    params = [value for pair in balances.items() for value in pair] + list(balances)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(table)} SET {quote(balance)} = CASE {quote(pk)} {whens} END "
            f"WHERE {quote(pk)} IN ({placeholders(len(balances))})",
            params,
        )


@functools.cache  # one text per shape (how many outbox rows), built once per process
def _posting_sql(columns: str, placeholders: str, outbox_insert: str) -> str:
    """PostgreSQL: the transaction, its entries, the new balances and the outbox rows in ONE
    statement (data-modifying CTEs). Four statements cost four round trips, each waking the
    database's backend again (docs/scaling.md); their foreign keys and the deferred zero-sum
    trigger check the same rows either way. The entries' ids come back in insertion order,
    which the ORDER BY fixes (INSERT ... SELECT takes the nextval()s in the order the rows
    arrive). A data-modifying CTE runs to completion whether or not the query reads it."""
    quote = connection.ops.quote_name
    entry, account = Entry._meta, Account._meta
    entry_columns = ", ".join(quote(entry.get_field(name).column)
                              for name in ("transaction", "account", "amount", "balance_after"))
    outbox = f", outbox AS ({outbox_insert})" if outbox_insert else ""
    return (
        f"WITH tx AS (INSERT INTO {quote(Transaction._meta.db_table)} ({columns}) VALUES ({placeholders})"
        f"  RETURNING {quote(Transaction._meta.pk.column)} AS id),"
        f" entries AS (INSERT INTO {quote(entry.db_table)} ({entry_columns})"
        "  SELECT tx.id, leg.account_id, leg.amount, leg.balance_after FROM tx,"
        "  unnest(%s::bigint[], %s::numeric[], %s::numeric[]) WITH ORDINALITY AS leg(account_id, amount, balance_after, n)"
        f"  ORDER BY leg.n RETURNING {quote(entry.pk.column)} AS id),"
        f" balances AS (UPDATE {quote(account.db_table)} account SET {quote(account.get_field('balance').column)}"
        f"  = new.balance FROM unnest(%s::bigint[], %s::numeric[]) AS new(id, balance)"
        f"  WHERE account.{quote(account.pk.column)} = new.id){outbox}"
        " SELECT tx.id, (SELECT array_agg(id ORDER BY id) FROM entries) FROM tx"
    )


def _write_posting_in_one_statement(tx: Transaction, entries: list, balances: dict, outbox: list) -> None:
    columns, placeholders, params = insert_values(tx)
    params += [[entry.account_id for entry in entries], [entry.amount for entry in entries],
               [entry.balance_after for entry in entries], list(balances), list(balances.values())]
    outbox_insert, outbox_params = notifications.outbox_insert(outbox) if outbox else ("", [])
    sql = _posting_sql(columns, placeholders, outbox_insert)
    params += outbox_params
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        tx_id, entry_ids = cursor.fetchone()
    mark_saved(tx, tx_id)
    for entry, entry_id in zip(entries, entry_ids, strict=True):
        entry.transaction_id = tx_id
        mark_saved(entry, entry_id)


# --- Customer operations -------------------------------------------------------------------


def post_against_internal(
    *, kind: str, account: Account, internal_code: str, amount: Decimal, credit: bool,
    performed_by: User | None, description: str, allow_frozen: bool = False,
    notices: Callable[[Posting], list] | None = None,
) -> Posting:
    """Move `amount` between a customer's `account` and one of the bank's own accounts:
    into the customer's account when `credit`, out of it otherwise. Call inside
    transaction.atomic; it locks both accounts."""
    validate_amount(amount, maximum=settings.MAX_TRANSACTION_AMOUNT)
    # No holders: a deposit's or withdrawal's response names no one (measured: the joins
    # made the lock statement cost 0.30-0.41 ms of PostgreSQL CPU instead of 0.23, docs/scaling.md).
    accounts = lock_accounts(ids=[account.pk], codes=[internal_code], holders=False)
    customer_account, internal = by_pk(accounts, account.pk), by_code(accounts, internal_code)
    signed = amount if credit else -amount
    return post_transaction(
        kind=kind,
        legs=[(customer_account, signed), (internal, -signed)],
        amount=amount,
        source=internal if credit else customer_account,
        destination=customer_account if credit else internal,
        performed_by=performed_by,
        description=description,
        allow_frozen=allow_frozen,
        notices=notices,
    )


@transaction.atomic
def deposit(*, account: Account, amount: Decimal, performed_by: User | None, description: str = "") -> Posting:
    """Credit `account`; cash comes into the bank (a teller deposit)."""
    return post_against_internal(
        kind=Transaction.Kind.DEPOSIT, account=account, internal_code=Account.CASH, amount=amount, credit=True,
        performed_by=performed_by, description=description or "Deposit", notices=_tell_depositor(account),
    )


def _tell_depositor(account: Account) -> Callable[[Posting], list]:
    """The customer is told (an outbox row written with the posting), whichever way the money came."""
    return lambda posting: [notifications.deposit_completed_row(
        transaction_row=posting.transaction, account=account, balance=posting.balance_after(account))]


@transaction.atomic
def deposit_from_gateway(
    *, account: Account, amount: Decimal, performed_by: User | None = None, description: str = ""
) -> Posting:
    """Credit `account` with money a payment gateway confirmed: the other side is
    `gateway_clearing` (what the gateway owes the bank until it settles), not cash.
    payments.services calls it under the payment's row lock."""
    return post_against_internal(
        kind=Transaction.Kind.DEPOSIT, account=account, internal_code=Account.GATEWAY_CLEARING, amount=amount,
        credit=True, performed_by=performed_by, description=description or "Deposit through a payment gateway",
        notices=_tell_depositor(account),
    )


@transaction.atomic
def withdraw(*, account: Account, amount: Decimal, performed_by: User | None, description: str = "") -> Posting:
    """Debit `account`; cash leaves the bank. Refused when the balance is short."""
    return post_against_internal(
        kind=Transaction.Kind.WITHDRAWAL, account=account, internal_code=Account.CASH, amount=amount, credit=False,
        performed_by=performed_by, description=description or "Withdrawal",
    )


@dataclass(frozen=True)
class TransferOrder:
    """One customer's transfer, in ids and values only: what a request hands to the posting
    writer (transactions/writer.py) and what post_transfers writes."""

    source_id: int
    recipient_account_no: str
    amount: Decimal
    performed_by_id: int | None
    description: str
    # Chosen by the request, before anything is written: the unique reference names the
    # posting wherever it is written, so a request whose writer went quiet can find out
    # whether its transfer was posted (post_transfers' `recovering`).
    reference: str
    # For the writer: time.monotonic() (one clock for every process of the machine) after
    # which the request may have stopped waiting; checked under the accounts' locks.
    expires_at: float | None = None


def transfer(
    *, source: Account, recipient_account_no: str, amount: Decimal, performed_by: User | None, description: str = ""
) -> Posting:
    """Move `amount` from `source` to the customer account numbered `recipient_account_no`.

    With a posting writer on this node (POSTING_WRITER_SOCKET) and no transaction open around it,
    the transfer is handed to a writer process that commits it together with other
    requests' transfers (docs/architecture.md, "The posting writer"). Otherwise, and when
    no writer takes it or answers in time, it is written here, in its own transaction.
    """
    validate_amount(amount, maximum=settings.MAX_TRANSACTION_AMOUNT)
    if source.account_no == recipient_account_no:
        raise SameAccount()
    order = TransferOrder(
        source_id=source.pk, recipient_account_no=recipient_account_no, amount=amount,
        performed_by_id=performed_by.pk if performed_by is not None else None,
        description=description or "Transfer", reference=new_reference(),
    )
    handed_over = False
    if settings.POSTING_WRITER_SOCKET and not connection.in_atomic_block:
        from . import writer  # it calls post_transfers: imported here, not at the top

        answer = writer.hand_over(order)
        if isinstance(answer, Posting):
            answer.transaction.performed_by = performed_by  # the writer knew the id only
            return answer
        if isinstance(answer, DomainError):
            raise answer
        handed_over = answer is writer.NO_ANSWER
    try:
        result = post_transfers([order], performed_by=performed_by, recovering=handed_over)[0]
    except DatabaseError as exc:
        if handed_over:
            # The writer may yet hold it: "nothing was changed" (the usual 503) could be false.
            raise TransferOutcomeUnknown() from exc
        raise
    if isinstance(result, DomainError):
        raise result
    return result


@transaction.atomic
def post_transfers(
    orders: list[TransferOrder], *, performed_by: User | None = None, recovering: bool = False
) -> list[Posting | DomainError | None]:
    """Write `orders` in ONE database transaction: one statement locks every account they
    name, then each is checked and posted in turn against the balances the ones before it
    left. A refused order (its DomainError in its place in the answer) writes nothing, so
    the others stand; a database error rolls back all of them (the writer then posts them
    one by one).

    An order past its `expires_at` when the locks are held is not posted (None in its
    place): its request may have stopped waiting and be deciding about it itself. Checked
    under the locks because the request decides under the same locks: a writer that passed
    the check holds them until it commits, so the request then finds the posting.

    `performed_by`: the user behind a single order (a stand-in with the order's id is used
    otherwise). `recovering`: the orders were handed to the writer, which did not answer;
    one already posted under its reference (looked up under the locks, so a writer still
    posting it has committed or given up by then) is answered as it was posted.
    """
    accounts = lock_accounts(ids=[order.source_id for order in orders],
                             account_nos=[order.recipient_account_no for order in orders])
    now = time.monotonic()
    answers = []
    for order in orders:
        if order.expires_at is not None and order.expires_at <= now:
            answers.append(None)
            continue
        if recovering and (posted := _posting_named(order.reference)) is not None:
            answers.append(posted)
            continue
        user = performed_by if performed_by is not None else _user_named(order.performed_by_id)
        try:
            answers.append(_post_transfer(order, accounts, user))
        except DomainError as refusal:
            answers.append(refusal)
    return answers


def _post_transfer(order: TransferOrder, accounts: list[Account], performed_by: User | None) -> Posting:
    sender = by_pk(accounts, order.source_id)
    recipient = next(
        (a for a in accounts if a.account_no == order.recipient_account_no and not a.is_internal), None
    )
    if recipient is None:
        raise AccountNotFound(f"No customer account has the number {order.recipient_account_no}.")
    return post_transaction(
        kind=Transaction.Kind.TRANSFER,
        legs=[(sender, -order.amount), (recipient, order.amount)],
        amount=order.amount,
        source=sender,
        destination=recipient,
        performed_by=performed_by,
        description=order.description,
        reference=order.reference,
        notices=lambda posting: [notifications.money_received_row(
            transaction_row=posting.transaction, recipient_account=recipient, sender_account=sender,
            balance=posting.balance_after(recipient))],
    )


def _user_named(user_id: int | None) -> User | None:
    """A stand-in for the user with this id: a transaction needs only its performer's id."""
    if user_id is None:
        return None
    user = User(pk=user_id)
    user._state.adding = False
    return user


def _posting_named(reference: str) -> Posting | None:
    """The posting written under `reference`, read back; None when there is none."""
    tx = (Transaction.objects.select_related("source__customer__user", "destination__customer__user",
                                             "performed_by")
          .filter(reference=reference).first())
    if tx is None:
        return None
    Transaction.reversal.related.set_cached_value(tx, None)  # just posted by this request: not reversed
    return Posting(transaction=tx, entries=tuple(tx.entries.order_by("pk")))


# --- Manager operations --------------------------------------------------------------------


@transaction.atomic
def reverse(*, original: Transaction, reason: str, performed_by: User) -> Posting:
    """Post the original's entries with their signs flipped, pointing at it. Once only.

    Loan disbursements and repayments are reversed through the loan, not here: reversing
    them alone would leave the loan's schedule out of step with the ledger.
    """
    if not reason or not reason.strip():
        raise ReasonRequired()
    if original.kind == Transaction.Kind.REVERSAL:
        raise NotReversible("A reversal cannot itself be reversed; post a new transaction instead.")
    if original.kind in (Transaction.Kind.LOAN_DISBURSEMENT, Transaction.Kind.LOAN_REPAYMENT):
        raise NotReversible("Loan disbursements and repayments cannot be reversed here.")
    original_entries = list(original.entries.all())
    accounts = lock_accounts(ids=[entry.account_id for entry in original_entries])
    legs = [(by_pk(accounts, entry.account_id), -entry.amount) for entry in original_entries]
    # Checked under the account locks: two managers reversing at once serialise here,
    # and the unique reverses_id refuses the second in any case.
    if Transaction.objects.filter(reverses=original).exists():
        raise AlreadyReversed()
    try:
        with transaction.atomic():
            return post_transaction(
                kind=Transaction.Kind.REVERSAL,
                legs=legs,
                amount=original.amount,
                source=by_pk(accounts, original.destination_id),
                destination=by_pk(accounts, original.source_id),
                performed_by=performed_by,
                description=f"Reversal of {original.reference}: {reason.strip()}",
                reverses=original,
                # A correction must reach an account frozen for fraud; closed ones stay shut.
                allow_frozen=True,
            )
    except IntegrityError as exc:
        if Transaction.objects.filter(reverses=original).exists():
            raise AlreadyReversed() from exc
        raise


@transaction.atomic
def freeze(*, account: Account, performed_by: User) -> Account:
    """Stop all movement on a customer account until it is unfrozen."""
    return _change_status(account, performed_by, from_status=Account.Status.ACTIVE, to_status=Account.Status.FROZEN)


@transaction.atomic
def unfreeze(*, account: Account, performed_by: User) -> Account:
    return _change_status(account, performed_by, from_status=Account.Status.FROZEN, to_status=Account.Status.ACTIVE)


def _change_status(account: Account, performed_by: User, *, from_status: str, to_status: str) -> Account:
    locked = Account.objects.select_for_update().get(pk=account.pk)
    if locked.is_internal:
        raise InvalidStatusChange("The bank's own accounts cannot be frozen.")
    if locked.status != from_status:
        raise InvalidStatusChange(f"The account is {locked.status}; only a {from_status} account can become {to_status}.")
    locked.status = to_status
    locked.save(update_fields=["status"])
    # Status changes are not ledger rows; the log keeps who did what.
    logger.warning("account %s: %s -> %s by user %s", locked.account_no, from_status, to_status,
                   performed_by.pk if performed_by else None)
    return locked
