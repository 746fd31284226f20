"""Staff capabilities (one Django permission each, on staff.Capability) and the roles
(Django groups) that bundle them. Plain data: migrations import it too."""

APP_LABEL = "staff"

CAPABILITIES = {
    # Reading
    "view_customers": "View customers, their accounts and statements",
    "view_transactions": "View every transaction",
    "view_loans": "View every loan",
    "view_approvals": "View four-eyes requests",
    "view_contact_messages": "Read the contact inbox",
    "read_audit": "Read the audit trail",
    "view_reports": "View the bank-wide reports and charts",
    # Doing
    "edit_customers": "Edit customer profiles",
    "teller_deposit": "Credit cash deposited at the counter",
    "reverse_transaction": "Reverse a transaction",
    "freeze_account": "Freeze an account",
    "unfreeze_account": "Unfreeze an account",
    "decide_loan": "Approve or reject loans up to the four-eyes limit",
    "decide_large_loan": "Approve loans above the four-eyes limit",
    "manage_staff": "Create staff, change roles and decide manager applications",
    "manage_services": "Edit the service catalogue",
    "handle_contact_messages": "Mark contact messages handled",
    "review_payments": "Release or refuse gateway payments held as high risk",
}

READ_CAPABILITIES = (
    "view_customers", "view_transactions", "view_loans", "view_approvals", "view_contact_messages", "read_audit",
    "view_reports",
)

TELLER = "teller"
LOAN_OFFICER = "loan_officer"
BRANCH_MANAGER = "branch_manager"
AUDITOR = "auditor"

ROLES = {
    TELLER: ("view_customers", "view_transactions", "view_loans", "view_approvals", "teller_deposit"),
    LOAN_OFFICER: ("view_customers", "view_transactions", "view_loans", "view_approvals", "decide_loan"),
    BRANCH_MANAGER: tuple(CAPABILITIES),
    # Reads everything, changes nothing.
    AUDITOR: READ_CAPABILITIES,
}

ROLE_CHOICES = [(role, role.replace("_", " ")) for role in ROLES]

# New Manager profiles get this role, so a manager made the old way can still do it all.
DEFAULT_ROLE = BRANCH_MANAGER
