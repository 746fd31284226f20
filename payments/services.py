"""Every change to a payment goes through these functions.

Money moves at one point only, `_credit`: under the payment's row lock it credits the
customer from `gateway_clearing` through the ledger and marks the payment completed, in one
database transaction. `settle` (a verified notification or reconciliation) calls it, unless
the gateway rated the payment high risk: then the payment is held, and only staff release
it (`release_held`, the same credit) or refuse it (`refuse_held`). A payment that is
already completed is left alone, so notifications retried, replayed or arriving together
credit once (the second waits on the row lock, then finds it completed; a compare-and-set
UPDATE on the status is the last guard). What reaches `settle` was verified by its gateway
first (signature, then its validation API).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from audit.models import Action as AuditAction
from audit.services import record
from bank_project.errors import DomainError
from bank_project.money import validate_amount
from transactions import services as ledger
from transactions.models import Account

from .errors import PaymentMismatch, PaymentNotCreditable, PaymentNotFound, PaymentNotHeld
from .gateways import CANCELLED, FAILED, SUCCESS, Confirmation, active_gateway, gateway_named
from .models import Payment

logger = logging.getLogger("bank.payments")

FINAL_OUTCOME_STATUS = {FAILED: Payment.Status.FAILED, CANCELLED: Payment.Status.CANCELLED}
REVIEW_STATUSES = (Payment.Status.HELD, Payment.Status.REFUSED)


def start_payment(
    *, account: Account, amount: Decimal, user: User, callback_base_url: str, description: str = ""
) -> Payment:
    """A pending payment of `amount` into the customer's `account`, with its checkout opened
    at the configured gateway. No money moves. Raises PaymentsUnavailable (503) when no
    gateway is configured and GatewayError (502) when it cannot open a checkout; either way
    nothing is left behind (the caller's transaction rolls back)."""
    validate_amount(amount, maximum=settings.MAX_TRANSACTION_AMOUNT)
    ledger.check_can_move(account)  # a frozen or closed account could not be credited: say so now
    gateway = active_gateway()
    with transaction.atomic():
        payment = Payment(
            customer=account.customer,
            account=account,
            amount=amount,
            currency=account.currency,
            description=description[:255],
            gateway=gateway.name,
            created_by=user,
            expires_at=timezone.now() + timedelta(minutes=settings.PAYMENT_EXPIRY_MINUTES),
        )
        checkout = gateway.start(payment, callback_base_url=callback_base_url)
        payment.gateway_session_id = checkout.session_id
        payment.payment_url = checkout.payment_url
        payment.save()
    logger.info("payment %s started: %s %s for account %s via %s", payment.reference, payment.amount,
                payment.currency, account.account_no, gateway.name)
    return payment


def handle_notification(*, gateway_name: str, data) -> Payment:
    """A gateway's server-to-server notification: verified by the gateway (signature, then
    its validation API), then settled. Refusals are logged and raised (4xx); nothing moves."""
    gateway = gateway_named(gateway_name)
    try:
        confirmation = gateway.verify_notification(data)
    except DomainError as exc:
        logger.warning("%s notification refused (%s): %s", gateway_name, type(exc).__name__, exc)
        raise
    return settle(gateway_name=gateway_name, confirmation=confirmation, source="notification")


def settle(*, gateway_name: str, confirmation: Confirmation, source: str) -> Payment:
    """Apply a verified confirmation to its payment, exactly once (see the module's docstring)."""
    with transaction.atomic():
        payment = (
            Payment.objects.select_for_update(of=("self",))
            .select_related("account")
            .filter(reference=confirmation.reference, gateway=gateway_name)
            .first()
        )
        if payment is None:
            logger.warning("%s %s for unknown payment %r refused", gateway_name, source, confirmation.reference)
            raise PaymentNotFound(f"No {gateway_name} payment has the reference {confirmation.reference!r}.")
        if confirmation.outcome == SUCCESS:
            return _complete(payment, confirmation, source)
        return _end(payment, FINAL_OUTCOME_STATUS[confirmation.outcome], confirmation, source)


def _complete(payment: Payment, confirmation: Confirmation, source: str) -> Payment:
    if confirmation.amount != payment.amount or confirmation.currency != payment.currency:
        logger.warning(
            "payment %s: %s says %s %s but the payment is %s %s; refused, nothing credited",
            payment.reference, source, confirmation.amount, confirmation.currency, payment.amount, payment.currency,
        )
        raise PaymentMismatch(
            f"The gateway confirmed {confirmation.amount} {confirmation.currency}, "
            f"but payment {payment.reference} is for {payment.amount} {payment.currency}."
        )
    if payment.status == Payment.Status.COMPLETED:
        logger.info("payment %s: %s repeats a completed payment; nothing more credited", payment.reference, source)
        return payment
    if payment.status in REVIEW_STATUSES:
        # Once held, only staff decide (release_held / refuse_held); a retried or later
        # notification, or a gateway that changed its mind on the risk, changes nothing.
        logger.info("payment %s is %s; %s changes nothing", payment.reference, payment.status, source)
        return payment
    payment.risk_level, payment.risk_title = confirmation.risk_level, confirmation.risk_title
    payment.gateway_transaction_id = confirmation.transaction_id[:255]
    if confirmation.high_risk:
        return _hold(payment, source)
    previous = payment.status
    detail = ""
    if previous != Payment.Status.PENDING:
        # The customer paid: a late confirmation is credited all the same, and said so.
        detail = f"Paid after it was marked {previous}; credited on a verified {source}."
        logger.warning("payment %s was %s; credited on a verified %s (the customer paid)",
                       payment.reference, previous, source)
    _credit(payment, detail=detail)
    logger.info("payment %s completed on a verified %s: %s %s credited to %s", payment.reference, source,
                payment.amount, payment.currency, payment.account.account_no)
    return payment


def _credit(payment: Payment, *, detail: str, performed_by=None) -> None:
    """The one credit of a payment (the caller holds its row lock): the ledger deposit out of
    gateway_clearing, then the payment completed by a compare-and-set from the status it was
    locked in. A verified notification and a staff release both come here."""
    previous = payment.status
    try:
        posted = ledger.deposit_from_gateway(
            account=payment.account,
            amount=payment.amount,
            performed_by=performed_by,
            description=payment.description or f"Deposit through {payment.gateway} (payment {payment.reference})",
        )
    except DomainError as exc:
        # A frozen or closed account receives nothing. A notification: the gateway will
        # retry, and reconcile_payments settles it once the account can receive money
        # again. A release: the payment stays held.
        logger.error("payment %s confirmed but not credited: %s", payment.reference, exc)
        raise PaymentNotCreditable(f"Payment {payment.reference} is confirmed but not credited: {exc}") from exc
    payment.status = Payment.Status.COMPLETED
    payment.status_detail = detail[:255]
    payment.transaction = getattr(posted, "transaction", posted)
    payment.completed_at = payment.updated_at = timezone.now()
    # Compare-and-set, the last guard behind the row lock: only a payment still in the status
    # it was locked in becomes completed; otherwise this whole transaction (the credit) rolls back.
    changed = Payment.objects.filter(pk=payment.pk, status=previous).update(
        status=payment.status, transaction=payment.transaction, completed_at=payment.completed_at,
        gateway_transaction_id=payment.gateway_transaction_id, status_detail=payment.status_detail,
        risk_level=payment.risk_level, risk_title=payment.risk_title, reviewed_by=payment.reviewed_by,
        reviewed_at=payment.reviewed_at, updated_at=payment.updated_at,
    )
    if changed != 1:
        raise RuntimeError(f"payment {payment.reference} was completed concurrently; credit rolled back")


def _hold(payment: Payment, source: str) -> Payment:
    """A paid payment the gateway flags high risk: kept, not credited, until staff decide."""
    before = {"status": payment.status}
    payment.status = Payment.Status.HELD
    title = f" ({payment.risk_title})" if payment.risk_title else ""
    payment.status_detail = f"Paid; held for review: the gateway rates it high risk{title}."[:255]
    payment.save(update_fields=["status", "status_detail", "risk_level", "risk_title", "gateway_transaction_id",
                                "updated_at"])
    record(AuditAction.PAYMENT_HELD, target=payment, before=before,
           after={"status": payment.status, "risk_level": payment.risk_level, "risk_title": payment.risk_title,
                  "source": source, "amount": payment.amount})
    logger.warning("payment %s held for review: %s rates it high risk (%s %s); nothing credited",
                   payment.reference, payment.gateway, payment.risk_level, payment.risk_title)
    return payment


def _locked_for_review(payment_id: int) -> Payment:
    payment = (Payment.objects.select_for_update(of=("self",)).select_related("account")
               .filter(pk=payment_id).first())
    if payment is None:
        raise PaymentNotFound(f"No payment has the id {payment_id}.")
    return payment


def release_held(*, payment_id: int, by: User, note: str = "") -> Payment:
    """Staff release a held payment: credited through the same path as a verified one, and
    audited, in one database transaction, exactly once. Under the payment's row lock a
    second release (repeated or concurrent) finds it released and answers it unchanged."""
    with transaction.atomic():
        payment = _locked_for_review(payment_id)
        if payment.status == Payment.Status.COMPLETED and payment.reviewed_at is not None:
            return payment  # released already: nothing more credited
        if payment.status != Payment.Status.HELD:
            raise PaymentNotHeld(f"Payment {payment.reference} is {payment.status}, not held for review.")
        payment.reviewed_by, payment.reviewed_at = by, timezone.now()
        _credit(payment, performed_by=by,
                detail=f"Held as high risk; released after review by {by.get_username()}.")
        record(AuditAction.PAYMENT_RELEASED, actor=by, target=payment, before={"status": Payment.Status.HELD},
               after={"status": payment.status, "transaction": payment.transaction.reference,
                      "amount": payment.amount, "risk_level": payment.risk_level, "note": note})
    logger.warning("payment %s released by %s after review: %s %s credited to %s", payment.reference,
                   by.get_username(), payment.amount, payment.currency, payment.account.account_no)
    return payment


def refuse_held(*, payment_id: int, by: User, reason: str) -> Payment:
    """Staff refuse a held payment: never credited (the money is returned to the payer at the
    gateway). Audited; a second refusal answers it unchanged."""
    with transaction.atomic():
        payment = _locked_for_review(payment_id)
        if payment.status == Payment.Status.REFUSED:
            return payment
        if payment.status != Payment.Status.HELD:
            raise PaymentNotHeld(f"Payment {payment.reference} is {payment.status}, not held for review.")
        payment.status = Payment.Status.REFUSED
        payment.status_detail = "Refused after review; the bank returns the money through the gateway."
        payment.reviewed_by, payment.reviewed_at = by, timezone.now()
        payment.save(update_fields=["status", "status_detail", "reviewed_by", "reviewed_at", "updated_at"])
        record(AuditAction.PAYMENT_REFUSED, actor=by, target=payment, before={"status": Payment.Status.HELD},
               after={"status": payment.status, "amount": payment.amount, "risk_level": payment.risk_level,
                      "reason": reason})
    logger.warning("payment %s refused by %s after review: %s", payment.reference, by.get_username(), reason)
    return payment


def _end(payment: Payment, status: str, confirmation: Confirmation, source: str) -> Payment:
    """failed / cancelled: only a payment nothing has settled yet changes."""
    if payment.status not in (Payment.Status.PENDING, Payment.Status.EXPIRED):
        logger.info("payment %s is %s; %s saying %s ignored", payment.reference, payment.status, source, status)
        return payment
    payment.status = status
    payment.status_detail = (confirmation.detail or f"{status.capitalize()} at the gateway.")[:255]
    payment.save(update_fields=["status", "status_detail", "updated_at"])
    logger.info("payment %s %s (%s)", payment.reference, status, source)
    return payment


def expire(*, payment: Payment, now=None) -> Payment:
    """Mark an overdue pending payment expired (a late verified success still credits it)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.status == Payment.Status.PENDING and locked.expires_at <= now:
            locked.status = Payment.Status.EXPIRED
            locked.status_detail = "Not paid within the time allowed."
            locked.save(update_fields=["status", "status_detail", "updated_at"])
            logger.info("payment %s expired", locked.reference)
        return locked


def reconcile(*, now=None, lookback_hours: int | None = None) -> dict:
    """Ask each payment's gateway about every pending payment and every payment that expired
    within the look-back window; settle what it confirms the verified way, expire the overdue
    rest. Returns counts by what happened."""
    now = now or timezone.now()
    lookback = timedelta(hours=settings.PAYMENT_RECONCILE_LOOKBACK_HOURS if lookback_hours is None else lookback_hours)
    candidates = Payment.objects.filter(status=Payment.Status.PENDING) | Payment.objects.filter(
        status=Payment.Status.EXPIRED, expires_at__gte=now - lookback
    )
    counts = {"checked": 0, "completed": 0, "held": 0, "failed": 0, "cancelled": 0, "expired": 0, "errors": 0}
    for payment in candidates.order_by("pk").iterator():
        counts["checked"] += 1
        try:
            result = reconcile_one(payment=payment, now=now)
        except DomainError as exc:
            counts["errors"] += 1
            logger.error("reconcile: payment %s not settled: %s", payment.reference, exc)
            continue
        if result.status != payment.status:
            counts[result.status] += 1
    return counts


def reconcile_one(*, payment: Payment, now=None) -> Payment:
    now = now or timezone.now()
    confirmation = gateway_named(payment.gateway).query(payment)
    if confirmation is not None and confirmation.outcome == SUCCESS:
        return settle(gateway_name=payment.gateway, confirmation=confirmation, source="reconciliation")
    if payment.expires_at > now:
        return payment  # still time to pay (a failed attempt may be retried in the same session)
    if confirmation is not None:
        return settle(gateway_name=payment.gateway, confirmation=confirmation, source="reconciliation")
    return expire(payment=payment, now=now)
