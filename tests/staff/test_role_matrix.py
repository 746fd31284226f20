"""Every staff endpoint × every role: allowed, or 403 with nothing changed.

"Allowed" means the capability check let the call through: the answer is whatever the
endpoint gives a permitted caller (200/201/202, or a 4xx about the request itself), never
403. The expected set comes from staff.capabilities.ROLES, so a role's definition and its
enforcement cannot drift apart without this failing."""

from decimal import Decimal
from types import SimpleNamespace

import pytest

from approvals.models import ApprovalRequest
from audit.models import AuditEvent
from contact import services as inbox
from loans import services as loans
from services import services as catalogue
from staff.capabilities import AUDITOR, BRANCH_MANAGER, LOAN_OFFICER, ROLES, TELLER
from tests.factories import CustomerFactory, ManagerFactory, UserFactory, fund
from tests.helpers import call, snapshot
from tests.payments.conftest import held
from transactions import services as ledger
from transactions.models import Transaction

pytestmark = pytest.mark.django_db

ALL_ROLES = [TELLER, LOAN_OFFICER, BRANCH_MANAGER, AUDITOR]


@pytest.fixture
def bank(db, settings):
    settings.API_THROTTLE = False
    other = ManagerFactory()
    customer = CustomerFactory()
    fund(customer, "5000.00")
    frozen = CustomerFactory()
    ledger.freeze(account=frozen.account, performed_by=other.user)
    loan = loans.request_loan(customer=customer, amount_requested=Decimal("1000.00"), term_months=6)
    service = catalogue.create_service(name="Fixed deposit", description="Lock money away.")
    message = inbox.submit_message(name="Eve", email="eve@example.com", message="Call me back", service=service)
    approval = ApprovalRequest.objects.create(
        action=ApprovalRequest.Action.UNFREEZE_ACCOUNT, target_type="transactions.account",
        target_id=str(frozen.account.pk), payload={}, summary="Unfreeze", maker=other.user,
    )
    return SimpleNamespace(customer=customer, frozen=frozen, loan=loan, service=service, message=message,
                           tx=Transaction.objects.filter(kind="deposit").first(), other=other, approval=approval,
                           new_user=UserFactory(), held=held(customer, "20.00"))


def endpoints(bank):
    """(capability, method, path, body). `None` capability: any staff role that may check
    some kind of four-eyes request."""
    acct, frozen = bank.customer.account.account_no, bank.frozen.account.account_no
    return [
        ("view_customers", "get", "/api/customer/", None),
        ("view_customers", "get", f"/api/customer/{bank.customer.pk}/", None),
        ("edit_customers", "patch", f"/api/customer/{bank.customer.pk}/", {"occupation": "Pilot"}),
        ("view_customers", "get", "/api/accounts/", None),
        ("view_customers", "get", f"/api/accounts/{acct}/", None),
        ("view_customers", "get", f"/api/statement/?account_no={acct}", None),
        ("view_transactions", "get", "/api/transactions/", None),
        ("view_transactions", "get", f"/api/transactions/{bank.tx.pk}/", None),
        ("view_transactions", "get", "/api/deposit/", None),
        ("view_transactions", "get", "/api/withdrawal/", None),
        ("view_transactions", "get", "/api/balance-transfer/", None),
        ("teller_deposit", "post", "/api/deposit/", {"account_no": acct, "amount": "25.00"}),
        ("reverse_transaction", "post", f"/api/transactions/{bank.tx.pk}/reverse/", {"reason": "error"}),
        ("freeze_account", "post", f"/api/accounts/{acct}/freeze/", {}),
        ("unfreeze_account", "post", f"/api/accounts/{frozen}/unfreeze/", {}),
        ("view_loans", "get", "/api/loans/", None),
        ("view_loans", "get", f"/api/loans/{bank.loan.pk}/", None),
        ("decide_loan", "post", f"/api/loans/{bank.loan.pk}/approve/", {"amount_approved": "1000.00"}),
        ("decide_loan", "post", f"/api/loans/{bank.loan.pk}/reject/", {"reason": "no"}),
        ("view_approvals", "get", "/api/approvals/", None),
        ("view_approvals", "get", f"/api/approvals/{bank.approval.pk}/", None),
        (None, "post", f"/api/approvals/{bank.approval.pk}/approve/", None),
        (None, "post", f"/api/approvals/{bank.approval.pk}/reject/", {"reason": "no"}),
        ("read_audit", "get", "/api/audit/", None),
        ("read_audit", "get", "/api/audit/?format=csv", None),
        ("view_contact_messages", "get", "/api/contact/", None),
        ("view_contact_messages", "get", f"/api/contact/{bank.message.pk}/", None),
        ("handle_contact_messages", "post", f"/api/contact/{bank.message.pk}/handle/", {}),
        ("manage_services", "post", "/api/services/", {"name": "Gold", "description": "Shiny."}),
        ("manage_services", "patch", f"/api/services/{bank.service.pk}/", {"is_active": False}),
        ("manage_services", "delete", f"/api/services/{bank.service.pk}/", None),
        ("manage_staff", "post", "/api/manager/", {"user": bank.new_user.pk, "mobile_no": "01811111111",
                                                   "nid": "2111111111", "age": 40}),
        ("manage_staff", "patch", f"/api/manager/{bank.other.pk}/", {"age": 50}),
        ("manage_staff", "post", f"/api/staff/{bank.other.user.pk}/role/", {"role": "teller"}),
        ("read_audit", "get", "/api/staff/", None),  # manage_staff or read_audit
        ("review_payments", "post", f"/api/payments/{bank.held.pk}/release/", {}),
        ("review_payments", "post", f"/api/payments/{bank.held.pk}/refuse/", {"reason": "stolen card"}),
    ]


def allowed(role, capability) -> bool:
    if capability is None:  # checking four-eyes requests: some checker capability
        return bool({"reverse_transaction", "decide_large_loan", "unfreeze_account", "manage_staff"} & set(ROLES[role]))
    return capability in ROLES[role]


ENDPOINT_COUNT = 37


@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize("index", range(ENDPOINT_COUNT))
def test_every_staff_endpoint_for_every_role(bank, staff_client, role, index):
    table = endpoints(bank)
    assert len(table) == ENDPOINT_COUNT
    capability, method, path, body = table[index]
    client = staff_client(role)
    before = snapshot()
    events_before = AuditEvent.objects.count()
    response = call(client, method, path, body)
    if allowed(role, capability):
        assert response.status_code != 403, f"{role} {method.upper()} {path}: {response.content[:300]}"
        assert response.status_code < 500
    else:
        assert response.status_code == 403, f"{role} {method.upper()} {path}: {response.status_code}"
        assert snapshot() == before, f"{role} {method.upper()} {path} changed something"
        assert AuditEvent.objects.count() == events_before


def test_staff_list_shows_roles_and_statement_audit_for_auditor(bank, staff_client):
    """The auditor reads everything and changes nothing (403 on every write, above); here
    the staff list shows each member's roles."""
    rows = staff_client(AUDITOR).get("/api/staff/").json()["results"]
    roles = {row["username"]: row["roles"] for row in rows}
    assert roles[bank.other.user.username] == [BRANCH_MANAGER]


def test_a_teller_cannot_reverse(bank, staff_client):
    response = staff_client(TELLER).post(f"/api/transactions/{bank.tx.pk}/reverse/", {"reason": "x"}, format="json")
    assert response.status_code == 403
    assert not ApprovalRequest.objects.filter(action="reverse_transaction").exists()
