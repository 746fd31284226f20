"""What four eyes guards, and how each action executes. An action's execute() runs the
owning app's service and writes the action's own audit row, in the caller's transaction;
it runs as the maker (who asked for it), with the checker (if any) noted in the audit row."""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ObjectDoesNotExist

from accounts.models import User
from audit.models import Action as AuditAction
from audit.services import record
from bank_project.errors import Conflict
from loans import services as loans
from loans.models import Loan
from staff import services as staff
from transactions import services as ledger
from transactions.models import Account, Transaction

from .models import ApprovalRequest


class TargetGone(Conflict):
    code = "target_gone"
    default_message = "What this request was about no longer exists."


@dataclass(frozen=True)
class FourEyesAction:
    name: str
    # Who may check (approve or reject) it. Who may make it is up to the endpoint.
    checker_capability: str
    model: type
    execute: Callable[..., dict]

    def load(self, target_id):
        try:
            return self.model.objects.get(pk=target_id)
        except (ObjectDoesNotExist, ValueError) as exc:
            raise TargetGone() from exc


def _approved_by(checker) -> dict:
    return {"approved_by": checker.get_username()} if checker is not None else {}


def _reverse_transaction(original: Transaction, *, maker, checker, payload) -> dict:
    posting = ledger.reverse(original=original, reason=payload["reason"], performed_by=maker)
    reversal = posting.transaction
    record(AuditAction.TRANSACTION_REVERSED, actor=maker, target=original, before={"reversed": False},
           after={"reversed": True, "reversal_id": reversal.pk, "reversal_reference": reversal.reference,
                  "amount": original.amount, "reason": payload["reason"], **_approved_by(checker)})
    return {"transaction_id": reversal.pk, "reference": reversal.reference}


def _approve_loan(loan: Loan, *, maker, checker, payload) -> dict:
    rate = payload.get("annual_interest_rate")
    approved = loans.approve_loan(
        loan=loan, amount_approved=Decimal(payload["amount_approved"]), decided_by=maker,
        annual_interest_rate=None if rate is None else Decimal(rate),
    )
    record(AuditAction.LOAN_APPROVED, actor=maker, target=approved, before={"status": Loan.Status.PENDING},
           after={"status": approved.status, "amount_approved": approved.amount_approved,
                  "annual_interest_rate": approved.annual_interest_rate,
                  "disbursement_id": approved.disbursement_id, **_approved_by(checker)})
    return {"loan_id": approved.pk, "status": approved.status, "disbursement_id": approved.disbursement_id}


def _unfreeze_account(account: Account, *, maker, checker, payload) -> dict:
    before = account.status
    account = ledger.unfreeze(account=account, performed_by=maker)
    record(AuditAction.ACCOUNT_UNFROZEN, actor=maker, target=account, before={"status": before},
           after={"status": account.status, **_approved_by(checker)})
    return {"account_no": account.account_no, "status": account.status}


def _change_role(user: User, *, maker, checker, payload) -> dict:
    staff.change_role(user=user, role=payload["role"], changed_by=maker, approved_by=checker)
    return {"user_id": user.pk, "role": payload["role"]}


ACTIONS = {
    action.name: action
    for action in (
        FourEyesAction(ApprovalRequest.Action.REVERSE_TRANSACTION, "reverse_transaction", Transaction,
                       _reverse_transaction),
        FourEyesAction(ApprovalRequest.Action.APPROVE_LOAN, "decide_large_loan", Loan, _approve_loan),
        FourEyesAction(ApprovalRequest.Action.UNFREEZE_ACCOUNT, "unfreeze_account", Account, _unfreeze_account),
        FourEyesAction(ApprovalRequest.Action.CHANGE_ROLE, "manage_staff", User, _change_role),
    )
}
