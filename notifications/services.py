"""Writing notifications (the outbox) and delivering them by email.

`notify` is called by the services that decide loans, sign people in and so on, inside their
database transaction: the row commits or rolls back with the change. (The ledger writes a
money movement's row itself, in the statement that posts it: `outbox_row`.) After the commit
it asks the task queue to deliver the new rows soon (`enqueue_delivery`, at most once a
second per process); if the broker is down that is logged and the row stays pending for the
next sweep (`deliver_pending`), which a worker runs every minute.
"""

import logging
import time
import uuid
from collections import Counter

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.utils import timezone

from bank_project.rows import insert_values

from .models import EmailPreference, Kind, Notification

logger = logging.getLogger("bank.notifications")

# After this many failed sends a notification is marked failed and left alone.
MAX_EMAIL_ATTEMPTS = 5
SWEEP_BATCH = 200
# After a failed enqueue this process stops trying for a while: with the broker unreachable,
# requests would otherwise each wait out the connect timeout. The sweep delivers meanwhile.
BROKER_RETRY_SECONDS = 30
_broker_down_until = 0.0
# One request for delivery covers every row committed before it runs: a process asks at most
# once per this many seconds, and the task runs that long after being asked. Publishing a
# task per notification cost a fifth of a transfer's Python CPU (docs/benchmarks.md).
DELIVERY_DELAY_SECONDS = 1.0
_next_request_at = 0.0


def notify(*, user, kind: str, event: str, subject: str, body: str) -> None:
    """Record that `user` is to be told about `event` (once), and have it emailed after commit.

    Called inside the caller's transaction. A second call for the same user, kind and event
    does nothing (ON CONFLICT DO NOTHING on the unique constraint): one email per event.
    """
    row = outbox_row(user=user, kind=kind, event=event, subject=subject, body=body)
    if row is not None:
        write_outbox([row])


def write_outbox(rows: list[Notification]) -> None:
    """Insert unsaved outbox rows, to be delivered once the current transaction commits."""
    if not rows:
        return
    sql, params = outbox_insert(rows)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    deliver_after_commit()


def outbox_insert(rows: list[Notification]) -> tuple[str, list]:
    """(sql, params): one INSERT of the unsaved `rows` that leaves a row already there for its
    user, kind and event as it is (one email per event). The ledger runs it inside its posting.

    By hand: the same statement through bulk_create(ignore_conflicts=True) cost 7% of a
    transfer's Python CPU to compile (docs/benchmarks.md)."""
    columns, values, params = "", [], []
    for row in rows:
        columns, row_placeholders, row_params = insert_values(row)
        values.append(f"({row_placeholders})")
        params += row_params
    table = connection.ops.quote_name(Notification._meta.db_table)
    return f"INSERT INTO {table} ({columns}) VALUES {', '.join(values)} ON CONFLICT DO NOTHING", params


def outbox_row(*, user, kind: str, event: str, subject: str, body: str) -> Notification | None:
    """The row `notify` writes, unsaved (None: there is no one to tell). The ledger writes a
    money movement's row itself, on PostgreSQL inside the statement that posts it (transactions.
    services post_transaction's `notices`, with outbox_insert), then calls deliver_after_commit()."""
    if user is None:
        return None
    return Notification(user=user, kind=kind, event=event[:100], subject=subject[:200], body=body)


def deliver_after_commit() -> None:
    """Outbox rows were written in the current transaction: have them delivered once it commits."""
    transaction.on_commit(enqueue_delivery)


def enqueue_delivery() -> bool:
    """Ask the worker to deliver the outbox rows committed so far (`deliver_new`), soon.

    Called after a commit that wrote one. The task runs DELIVERY_DELAY_SECONDS after it is
    asked for, so a process that asked less than that long ago need not ask again: the
    task it asked for has not started yet and will find this row. (A worker whose clock runs
    ahead of this node's may start it early; the minute sweep then delivers what it missed.)
    Never raises: without a broker the row waits for the sweep.
    """
    global _broker_down_until, _next_request_at
    from .tasks import deliver_new_notifications

    now = time.monotonic()
    if now < _broker_down_until:
        return False
    eager = deliver_new_notifications.app.conf.task_always_eager  # tests: it ran already, nothing is waiting
    if now < _next_request_at and not eager:
        return True
    try:
        deliver_new_notifications.apply_async(countdown=DELIVERY_DELAY_SECONDS)
    except Exception as exc:  # the broker is down or unreachable: the outbox keeps the row
        _broker_down_until = time.monotonic() + BROKER_RETRY_SECONDS
        logger.warning("notifications not enqueued (%s: %s); the sweep will deliver them; "
                       "no enqueue from this process for %ss", type(exc).__name__, exc, BROKER_RETRY_SECONDS)
        return False
    _next_request_at = now + DELIVERY_DELAY_SECONDS
    return True


def emails_wanted(user, kind: str) -> bool:
    preference = EmailPreference.objects.filter(user=user, kind=kind).values_list("email", flat=True).first()
    return preference is not False


def deliver(notification_id: int) -> str:
    """Email one pending notification; returns what became of it.

    The row is locked (SKIP LOCKED) while the email goes out and marked sent in the same
    transaction: two workers never send the same row at once, and a row is sent again only
    if the worker died between the send and the commit (at least once, never by design twice).
    """
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("user")
            .filter(pk=notification_id, email_status=Notification.EmailStatus.PENDING)
            .first()
        )
        if notification is None:
            return "not_pending"
        user = notification.user
        if not user.email or not user.is_active or not emails_wanted(user, notification.kind):
            notification.email_status = Notification.EmailStatus.SKIPPED
            notification.save(update_fields=["email_status"])
            return "skipped"
        notification.email_attempts += 1
        try:
            send_mail(notification.subject, notification.body, settings.DEFAULT_FROM_EMAIL, [user.email])
        except Exception as exc:  # SMTP refused or timed out: try again on a later sweep
            notification.last_error = f"{type(exc).__name__}: {exc}"[:255]
            if notification.email_attempts >= MAX_EMAIL_ATTEMPTS:
                notification.email_status = Notification.EmailStatus.FAILED
            notification.save(update_fields=["email_attempts", "last_error", "email_status"])
            logger.warning("notification %s: email failed (attempt %s): %s", notification.pk,
                           notification.email_attempts, notification.last_error)
            return "error"
        notification.email_status = Notification.EmailStatus.SENT
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["email_attempts", "email_status", "emailed_at", "last_error"])
        return "sent"


def deliver_event(*, user_id: int, kind: str, event: str) -> str:
    notification_id = (
        Notification.objects.filter(user_id=user_id, kind=kind, event=event).values_list("pk", flat=True).first()
    )
    return "missing" if notification_id is None else deliver(notification_id)


def deliver_pending(*, limit: int = SWEEP_BATCH, untried_only: bool = False) -> dict:
    """Deliver the oldest pending notifications (those whose enqueue failed, or whose send did).

    `untried_only`: only rows no send has been tried for yet (what `enqueue_delivery` asks
    for): a failed send is retried by the minute sweep, not within the second."""
    outcomes: dict[str, int] = {}
    pending = Notification.objects.filter(email_status=Notification.EmailStatus.PENDING).order_by("id")
    if untried_only:
        pending = pending.filter(email_attempts=0)
    for notification_id in pending.values_list("pk", flat=True)[:limit]:
        outcome = deliver(notification_id)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def deliver_new(*, seconds: float = 30.0) -> dict:
    """What enqueue_delivery asks for: every untried pending row, batch after batch (a burst,
    e.g. close of business's reminders, may leave thousands), for up to `seconds`. Stops early
    when a batch is short or sent nothing new (its rows held by another worker's delivery)."""
    outcomes: Counter[str] = Counter()
    deadline = time.monotonic() + seconds
    while True:
        batch = deliver_pending(limit=SWEEP_BATCH, untried_only=True)  # SWEEP_BATCH read at call time
        outcomes.update(batch)
        if sum(batch.values()) < SWEEP_BATCH or set(batch) <= {"not_pending"} or time.monotonic() >= deadline:
            return dict(outcomes)


# --- Preferences -----------------------------------------------------------------------


def email_preferences(*, user) -> dict[str, bool]:
    chosen = dict(EmailPreference.objects.filter(user=user).values_list("kind", "email"))
    return {kind: chosen.get(kind, True) for kind in Kind.values}


@transaction.atomic
def set_email_preferences(*, user, choices: dict[str, bool]) -> dict[str, bool]:
    for kind, email in choices.items():
        EmailPreference.objects.update_or_create(user=user, kind=kind, defaults={"email": email})
    return email_preferences(user=user)


# --- The events ------------------------------------------------------------------------------
# Each takes the objects the calling service already holds; none queries more than it must.


def _masked(account_no: str) -> str:
    return "****" + account_no[-4:]


def _money_in(*, kind: str, transaction_row, account, balance, subject: str, what: str) -> Notification | None:
    customer = account.customer
    if customer is None:  # the bank's own accounts are told nothing
        return None
    return outbox_row(
        user=customer.user,
        kind=kind,
        event=f"transaction-{transaction_row.reference}",
        subject=subject,
        body=f"{what} (reference {transaction_row.reference}). Your balance is now {balance}.",
    )


# The ledger writes these two itself, in the statement that posts the money (see outbox_row).
def money_received_row(*, transaction_row, recipient_account, sender_account, balance) -> Notification | None:
    amount = f"{transaction_row.amount} {transaction_row.currency}"
    return _money_in(kind=Kind.MONEY_RECEIVED, transaction_row=transaction_row, account=recipient_account,
                     balance=balance, subject=f"You received {amount}",
                     what=f"{amount} arrived in your account {_masked(recipient_account.account_no)} from account "
                          f"{_masked(sender_account.account_no)}")


def deposit_completed_row(*, transaction_row, account, balance) -> Notification | None:
    amount = f"{transaction_row.amount} {transaction_row.currency}"
    return _money_in(kind=Kind.DEPOSIT_COMPLETED, transaction_row=transaction_row, account=account, balance=balance,
                     subject=f"Deposit of {amount} completed",
                     what=f"Your deposit of {amount} into account {_masked(account.account_no)} is complete")


def loan_decided(*, loan) -> None:
    approved = loan.status == "approved"
    if approved:
        subject = f"Your loan #{loan.pk} is approved"
        body = (
            f"Your loan #{loan.pk} of {loan.amount_approved} was approved and paid into your account. "
            f"You repay {loan.term_months} monthly installments of {loan.installment_amount}."
        )
    else:
        subject = f"Your loan request #{loan.pk} was declined"
        body = f"Your request for a loan of {loan.amount_requested} was declined." + (
            f" Reason: {loan.decision_reason}" if loan.decision_reason else ""
        )
    notify(
        user=loan.customer.user,
        kind=Kind.LOAN_APPROVED if approved else Kind.LOAN_REJECTED,
        event=f"loan-{loan.pk}",
        subject=subject,
        body=body,
    )


def installment_due(*, installment, user) -> None:
    notify(
        user=user,
        kind=Kind.INSTALLMENT_DUE,
        event=f"installment-{installment.pk}",
        subject=f"Loan #{installment.loan_id}: {installment.amount_due} due on {installment.due_date}",
        body=(
            f"Installment {installment.number} of your loan #{installment.loan_id}, {installment.amount_due}, "
            f"falls due on {installment.due_date}. It is collected from your account on that day: please make "
            "sure the money is there."
        ),
    )


def installment_overdue(*, installment, user, late_fee) -> None:
    notify(
        user=user,
        kind=Kind.INSTALLMENT_OVERDUE,
        event=f"installment-{installment.pk}",
        subject=f"Loan #{installment.loan_id}: installment {installment.number} is overdue",
        body=(
            f"Installment {installment.number} of your loan #{installment.loan_id}, due on {installment.due_date}, "
            f"is unpaid ({installment.amount_due} outstanding). A late fee of {late_fee} is charged; it and the "
            "installment are collected from your account as soon as the money is there."
        ),
    )


def password_changed(*, user) -> None:
    notify(
        user=user,
        kind=Kind.PASSWORD_CHANGED,
        event=f"password-{uuid.uuid4()}",  # every change is its own event
        subject="Your password was changed",
        body="The password of your bank login was changed and your other sessions were signed out. "
        "If this was not you, contact the bank at once.",
    )


def new_sign_in(*, user, ip: str) -> None:
    notify(
        user=user,
        kind=Kind.NEW_SIGN_IN,
        event=f"sign-in-{uuid.uuid4()}",
        subject="New sign-in to your bank account",
        body=f"You (or someone with your password) signed in at {timezone.now():%Y-%m-%d %H:%M %Z} "
        f"from {ip or 'an unknown address'}. If this was not you, change your password now.",
    )
