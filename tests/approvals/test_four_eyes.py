"""Maker-checker: a guarded action waits (202) for a different staff member with the
capability; it executes once, in one transaction; the maker cannot check it; a decided
request answers 409."""

from decimal import Decimal

import pytest

from approvals.models import ApprovalRequest
from audit.models import AuditEvent
from loans import services as loans
from loans.models import Loan
from staff.capabilities import BRANCH_MANAGER, LOAN_OFFICER
from staff.roles import set_role
from tests.conftest import client_for
from tests.factories import CustomerFactory, ManagerFactory, fund
from tests.helpers import balance
from transactions import services as ledger
from transactions.models import Transaction

pytestmark = pytest.mark.django_db


def test_must_show_reversal_maker_checker(funded_customer, manager, manager_client, checker_client):
    """Manager A reverses → 202 pending, no money moved; A approves → 403; B approves → the
    reversal posts once; B approving again → 409. Each step left an audit row."""
    tx = Transaction.objects.get()
    response = manager_client.post(f"/api/transactions/{tx.pk}/reverse/", {"reason": "duplicate"}, format="json")
    assert response.status_code == 202
    approval_id = response.json()["approval_id"]
    assert response.json()["status"] == "pending"
    assert balance(funded_customer) == Decimal("1000.00")
    assert not Transaction.objects.filter(kind="reversal").exists()

    own = manager_client.post(f"/api/approvals/{approval_id}/approve/")
    assert own.status_code == 403 and own.json()["code"] == "own_request"
    assert manager_client.post(f"/api/approvals/{approval_id}/reject/").status_code == 403

    approved = checker_client.post(f"/api/approvals/{approval_id}/approve/")
    assert approved.status_code == 200 and approved.json()["status"] == "executed"
    assert balance(funded_customer) == 0
    assert Transaction.objects.filter(kind="reversal", reverses=tx).count() == 1

    again = checker_client.post(f"/api/approvals/{approval_id}/approve/")
    assert again.status_code == 409 and again.json()["code"] == "approval_decided"
    assert Transaction.objects.filter(kind="reversal").count() == 1

    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions[-3:] == ["approval.requested", "transaction.reversed", "approval.approved"]
    reversed_row = AuditEvent.objects.get(action="transaction.reversed")
    assert reversed_row.actor == manager.user and reversed_row.target_id == str(tx.pk)
    assert reversed_row.after["approved_by"] == ApprovalRequest.objects.get().checker.username


def test_a_request_that_could_not_execute_is_refused_at_once(customer, manager_client):
    """The action is rehearsed when asked for: unfreezing an active account is a 409 now,
    not a pending request that fails later."""
    response = manager_client.post(f"/api/accounts/{customer.account.account_no}/unfreeze/")
    assert response.status_code == 409
    assert not ApprovalRequest.objects.exists()


def test_a_second_identical_request_is_refused_while_one_waits(funded_customer, manager_client):
    tx = Transaction.objects.get()
    assert manager_client.post(f"/api/transactions/{tx.pk}/reverse/", {"reason": "a"}, format="json").status_code == 202
    again = manager_client.post(f"/api/transactions/{tx.pk}/reverse/", {"reason": "b"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "approval_pending"


def test_reject_leaves_everything_as_it_was(funded_customer, manager_client, checker_client):
    tx = Transaction.objects.get()
    approval_id = manager_client.post(f"/api/transactions/{tx.pk}/reverse/", {"reason": "a"},
                                      format="json").json()["approval_id"]
    rejected = checker_client.post(f"/api/approvals/{approval_id}/reject/", {"reason": "not a duplicate"},
                                   format="json")
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert balance(funded_customer) == Decimal("1000.00")
    assert checker_client.post(f"/api/approvals/{approval_id}/approve/").status_code == 409
    assert AuditEvent.objects.filter(action="approval.rejected", target_id=str(approval_id)).exists()


def test_execution_refused_later_marks_the_request_failed(customer, manager, manager_client, checker_client):
    """Between request and approval the account was unfrozen another way: the approval
    answers the service's error and the request is marked failed (audited), not left pending."""
    ledger.freeze(account=customer.account, performed_by=manager.user)
    approval_id = manager_client.post(f"/api/accounts/{customer.account.account_no}/unfreeze/").json()["approval_id"]
    ledger.unfreeze(account=customer.account, performed_by=manager.user)
    response = checker_client.post(f"/api/approvals/{approval_id}/approve/")
    assert response.status_code == 409
    approval = ApprovalRequest.objects.get(pk=approval_id)
    assert approval.status == "failed" and "active" in approval.reason
    assert AuditEvent.objects.filter(action="approval.failed", target_id=str(approval_id)).exists()


def test_loans_above_the_limit_need_a_checker_who_may_decide_large_loans(settings, customer):
    """A loan officer cannot approve above the limit alone: it waits; another loan officer
    cannot check it (403); a branch manager does, and the money arrives once."""
    settings.FOUR_EYES_LOAN_AMOUNT = Decimal("500.00")
    loan = loans.request_loan(customer=customer, amount_requested=Decimal("1000.00"), term_months=6)
    officer, other_officer, branch = ManagerFactory().user, ManagerFactory().user, ManagerFactory().user
    set_role(officer, LOAN_OFFICER)
    set_role(other_officer, LOAN_OFFICER)
    set_role(branch, BRANCH_MANAGER)
    small = loans.request_loan(customer=customer, amount_requested=Decimal("400.00"), term_months=6)
    assert client_for(officer).post(f"/api/loans/{small.pk}/approve/", {"amount_approved": "400.00"},
                                    format="json").status_code == 200  # below the limit: at once

    response = client_for(officer).post(f"/api/loans/{loan.pk}/approve/", {"amount_approved": "1000.00"},
                                        format="json")
    assert response.status_code == 202
    assert Loan.objects.get(pk=loan.pk).status == "pending"
    approval_id = response.json()["approval_id"]
    assert client_for(other_officer).post(f"/api/approvals/{approval_id}/approve/").status_code == 403
    approved = client_for(branch).post(f"/api/approvals/{approval_id}/approve/")
    assert approved.status_code == 200, approved.content
    loan.refresh_from_db()
    assert loan.status == "approved" and loan.amount_approved == Decimal("1000.00")
    assert loan.decided_by == officer  # the maker decided; the checker is on the request and the audit row
    assert balance(customer) == Decimal("1400.00")


def test_without_four_eyes_a_loan_officer_gets_403_above_the_limit(settings, customer):
    settings.FOUR_EYES_ENABLED = False
    settings.FOUR_EYES_LOAN_AMOUNT = Decimal("500.00")
    loan = loans.request_loan(customer=customer, amount_requested=Decimal("1000.00"), term_months=6)
    officer = ManagerFactory().user
    set_role(officer, LOAN_OFFICER)
    response = client_for(officer).post(f"/api/loans/{loan.pk}/approve/", {"amount_approved": "1000.00"},
                                        format="json")
    assert response.status_code == 403
    assert Loan.objects.get(pk=loan.pk).status == "pending"


def test_without_four_eyes_a_reversal_posts_at_once(settings, funded_customer, manager_client):
    settings.FOUR_EYES_ENABLED = False
    tx = Transaction.objects.get()
    response = manager_client.post(f"/api/transactions/{tx.pk}/reverse/", {"reason": "typo"}, format="json")
    assert response.status_code == 201 and response.json()["reverses"] == tx.reference
    assert balance(funded_customer) == 0
    assert AuditEvent.objects.filter(action="transaction.reversed", target_id=str(tx.pk)).count() == 1


def test_role_change_waits_for_a_second_staff_member(manager, manager_client, checker_client):
    target = ManagerFactory().user
    response = manager_client.post(f"/api/staff/{target.pk}/role/", {"role": "auditor"}, format="json")
    assert response.status_code == 202
    assert [group.name for group in target.groups.all()] == [BRANCH_MANAGER]
    assert checker_client.post(f"/api/approvals/{response.json()['approval_id']}/approve/").status_code == 200
    assert [group.name for group in target.groups.all()] == ["auditor"]
    row = AuditEvent.objects.get(action="staff.role_changed")
    assert row.before == {"roles": [BRANCH_MANAGER]} and row.after["roles"] == ["auditor"]
    # Capabilities follow at once (the cached set was dropped): an auditor cannot freeze.
    customer = CustomerFactory()
    assert client_for(target).post(f"/api/accounts/{customer.account.account_no}/freeze/").status_code == 403


def test_role_change_of_a_non_staff_user_is_404(manager_client, customer):
    response = manager_client.post(f"/api/staff/{customer.user.pk}/role/", {"role": "auditor"}, format="json")
    assert response.status_code == 404
    assert manager_client.post(f"/api/staff/{customer.user.pk}/role/", {"role": "king"},
                               format="json").status_code == 400


def test_the_database_refuses_a_checker_who_is_the_maker(manager):
    from django.db import IntegrityError, transaction
    from django.utils import timezone

    customer = CustomerFactory()
    fund(customer, "10.00")
    with pytest.raises(IntegrityError), transaction.atomic():
        ApprovalRequest.objects.create(action="unfreeze_account", target_type="transactions.account",
                                       target_id=str(customer.account.pk), summary="x", maker=manager.user,
                                       checker=manager.user, status="rejected", decided_at=timezone.now())
