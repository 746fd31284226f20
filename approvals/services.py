"""Four eyes (maker-checker). submit() is what an endpoint calls for a guarded action:
with FOUR_EYES_ENABLED it files a pending ApprovalRequest (after rehearsing the action, so
a request that could not execute is refused at once), otherwise it executes at once.
approve() executes a pending request once, in one database transaction, with its row
locked: a second checker waits for the first and then finds it decided (409)."""

from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from rest_framework import status

from audit.models import Action as AuditAction
from audit.services import audited, record
from bank_project.errors import Conflict, DomainError
from staff.permissions import has_capability

from .actions import ACTIONS
from .models import ApprovalRequest


class AlreadyDecided(Conflict):
    code = "approval_decided"
    default_message = "This request has already been decided."


class AlreadyPending(Conflict):
    code = "approval_pending"
    default_message = "The same request is already waiting for approval."


class OwnRequest(DomainError):
    status_code = status.HTTP_403_FORBIDDEN
    code = "own_request"
    default_message = "Four eyes: a different staff member must check this request."


class CannotCheck(DomainError):
    status_code = status.HTTP_403_FORBIDDEN
    code = "permission_denied"
    default_message = "Your staff role cannot check this kind of request."


@dataclass
class Outcome:
    approval: ApprovalRequest | None = None  # pending: waits for a checker
    result: dict | None = None  # executed at once (four eyes off)

    @property
    def pending(self) -> bool:
        return self.approval is not None


class _Rehearsal(Exception):
    pass


def submit(*, action: str, maker, target, payload: dict, summary: str) -> Outcome:
    spec = ACTIONS[action]
    if not settings.FOUR_EYES_ENABLED:
        with transaction.atomic():
            return Outcome(result=spec.execute(target, maker=maker, checker=None, payload=payload))
    with transaction.atomic():
        duplicate = ApprovalRequest.objects.filter(
            action=action, target_type=target._meta.label_lower, target_id=str(target.pk),
            status=ApprovalRequest.Status.PENDING,
        ).first()
        if duplicate is not None:
            raise AlreadyPending(f"The same request is already waiting for approval (#{duplicate.pk}).")
        _rehearse(spec, target, maker=maker, payload=payload)
        try:
            approval = ApprovalRequest.objects.create(
                action=action, target_type=target._meta.label_lower, target_id=str(target.pk), payload=payload,
                summary=summary[:255], maker=maker,
            )
        except IntegrityError as exc:  # a concurrent submit won the one pending slot
            raise AlreadyPending() from exc
        record(AuditAction.APPROVAL_REQUESTED, actor=maker, target=approval,
               after={"action": action, "target_type": approval.target_type, "target_id": approval.target_id,
                      "payload": payload})
    return Outcome(approval=approval)


def _rehearse(spec, target, *, maker, payload) -> None:
    """Run the action and roll it back: every rule of the owning service is checked now
    (amounts, states, funds), not first when the checker approves."""
    try:
        with transaction.atomic():
            spec.execute(target, maker=maker, checker=None, payload=payload)
            raise _Rehearsal
    except _Rehearsal:
        pass


def _lock_pending(approval_id: int, checker) -> ApprovalRequest:
    approval = ApprovalRequest.objects.select_for_update().select_related("maker").filter(pk=approval_id).first()
    if approval is None:
        raise Http404
    if approval.status != ApprovalRequest.Status.PENDING:
        raise AlreadyDecided(f"This request has already been decided ({approval.get_status_display().lower()}).")
    if approval.maker_id == checker.pk:
        raise OwnRequest()
    if not has_capability(checker, ACTIONS[approval.action].checker_capability):
        raise CannotCheck()
    return approval


def approve(*, approval_id: int, checker) -> ApprovalRequest:
    """Execute the request as approved by `checker`. If the action itself is refused now
    (say the loan was cancelled meanwhile), the request is marked failed and the error raised."""
    failure = None
    with transaction.atomic():
        approval = _lock_pending(approval_id, checker)
        spec = ACTIONS[approval.action]
        try:
            with transaction.atomic():
                target = spec.load(approval.target_id)
                approval.result = spec.execute(target, maker=approval.maker, checker=checker, payload=approval.payload)
                approval.status = ApprovalRequest.Status.EXECUTED
        except DomainError as error:
            failure = error
            approval.status = ApprovalRequest.Status.FAILED
            approval.reason = error.message[:255]
        approval.checker = checker
        approval.decided_at = timezone.now()
        approval.save(update_fields=["status", "result", "reason", "checker", "decided_at"])
        record(
            AuditAction.APPROVAL_FAILED if failure else AuditAction.APPROVAL_APPROVED,
            actor=checker, target=approval, before={"status": ApprovalRequest.Status.PENDING},
            after={"status": approval.status, "result": approval.result, "reason": approval.reason},
        )
    if failure is not None:
        raise failure
    return approval


@transaction.atomic
def reject(*, approval_id: int, checker, reason: str = "") -> ApprovalRequest:
    approval = _lock_pending(approval_id, checker)
    approval.status = ApprovalRequest.Status.REJECTED
    approval.checker = checker
    approval.decided_at = timezone.now()
    approval.reason = reason.strip()[:255]
    approval.save(update_fields=["status", "checker", "decided_at", "reason"])
    record(AuditAction.APPROVAL_REJECTED, actor=checker, target=approval,
           before={"status": ApprovalRequest.Status.PENDING}, after={"status": approval.status, "reason": approval.reason})
    return approval


class WaitsForApproval(DomainError):
    """Not a refusal: what the admin's bulk actions report for a row that now waits for a checker."""

    status_code = status.HTTP_202_ACCEPTED
    code = "approval_pending"

    def __init__(self, approval):
        super().__init__(f"four eyes: waiting for a second staff member (approval #{approval.pk}).")
        self.approval = approval


class LargeLoanNeedsCapability(DomainError):
    status_code = status.HTTP_403_FORBIDDEN
    code = "permission_denied"
    default_message = "Your staff role cannot approve a loan above the four-eyes limit."


def is_large_loan(amount) -> bool:
    return amount > settings.FOUR_EYES_LOAN_AMOUNT


def approve_loan(*, loan, amount_approved, decided_by, annual_interest_rate=None) -> Outcome:
    """Up to FOUR_EYES_LOAN_AMOUNT: approved and disbursed now. Above it: a four-eyes
    request (a checker needs `decide_large_loan`); with four eyes off, the approver needs it."""
    payload = {"amount_approved": amount_approved, "annual_interest_rate": annual_interest_rate}
    spec = ACTIONS[ApprovalRequest.Action.APPROVE_LOAN]
    if is_large_loan(amount_approved):
        if not settings.FOUR_EYES_ENABLED and not has_capability(decided_by, spec.checker_capability):
            raise LargeLoanNeedsCapability()
        return submit(action=spec.name, maker=decided_by, target=loan, payload=payload,
                      summary=f"Approve loan #{loan.pk}: {amount_approved} of {loan.amount_requested} requested")
    with transaction.atomic():
        return Outcome(result=spec.execute(loan, maker=decided_by, checker=None, payload=payload))


# --- The account status changes, shared by the API and the admin ---------------------------


def freeze_account(*, account, performed_by):
    """Freezing is not four-eyes (it protects money), but it is audited."""
    from transactions import services as ledger

    with audited(AuditAction.ACCOUNT_FROZEN, actor=performed_by, target=account,
                 before={"status": account.status}) as event:
        account = ledger.freeze(account=account, performed_by=performed_by)
        event.after = {"status": account.status}
    return account


def unfreeze_account(*, account, maker) -> Outcome:
    return submit(action=ApprovalRequest.Action.UNFREEZE_ACCOUNT, maker=maker, target=account, payload={},
                  summary=f"Unfreeze account {account.account_no}")
