"""The audit trail: one append-only row per staff action or security event.

Rows are written by audit.services.record() in the same database transaction as the
action they record, and database triggers refuse UPDATE and DELETE (migration 0002), as
for the ledger. The actor is kept by id and by name: the row outlives the user.
"""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


class Action(models.TextChoices):
    LOGIN = "auth.login", "Login"
    LOGIN_FAILED = "auth.login_failed", "Failed login"
    ADMIN_LOGIN = "auth.admin_login", "Admin login"
    PASSWORD_CHANGED = "auth.password_changed", "Password changed"
    SESSIONS_ENDED = "auth.sessions_ended", "Login sessions ended"
    MFA_ENROLMENT_STARTED = "mfa.enrolment_started", "TOTP enrolment started"
    MFA_ENABLED = "mfa.enabled", "TOTP enabled"
    MFA_STEP_UP = "mfa.step_up", "MFA step-up"
    MFA_CODE_ACCEPTED = "mfa.code_accepted", "MFA code accepted"
    MFA_CODE_REJECTED = "mfa.code_rejected", "MFA code rejected"
    MFA_RECOVERY_CODE_USED = "mfa.recovery_code_used", "Recovery code used"
    CUSTOMER_VIEWED = "customer.viewed", "Customer profile opened by staff"
    STATEMENT_VIEWED = "statement.viewed", "Statement opened by staff"
    TELLER_DEPOSIT = "transaction.teller_deposit", "Teller deposit"
    TRANSACTION_REVERSED = "transaction.reversed", "Transaction reversed"
    ACCOUNT_FROZEN = "account.frozen", "Account frozen"
    ACCOUNT_UNFROZEN = "account.unfrozen", "Account unfrozen"
    LOAN_APPROVED = "loan.approved", "Loan approved"
    LOAN_REJECTED = "loan.rejected", "Loan rejected"
    STAFF_CREATED = "staff.created", "Staff member created"
    ROLE_CHANGED = "staff.role_changed", "Role changed"
    APPROVAL_REQUESTED = "approval.requested", "Four-eyes request made"
    APPROVAL_APPROVED = "approval.approved", "Four-eyes request approved and executed"
    APPROVAL_REJECTED = "approval.rejected", "Four-eyes request rejected"
    APPROVAL_FAILED = "approval.failed", "Four-eyes request approved but refused on execution"
    CLOSE_OF_BUSINESS = "backoffice.close_of_business", "Close of business run"
    PAYMENT_HELD = "payment.held", "High-risk payment held for review"
    PAYMENT_RELEASED = "payment.released", "Held payment released and credited"
    PAYMENT_REFUSED = "payment.refused", "Held payment refused"


class AuditEvent(models.Model):
    at = models.DateTimeField(default=timezone.now, db_index=True)
    # No database constraint and nothing done on delete: the trail keeps naming a user who
    # is gone, and a user's deletion never touches (or is blocked by) the trail.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False,
        related_name="+",
    )
    actor_username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=40, choices=Action.choices, db_index=True)
    target_type = models.CharField(max_length=60, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True, db_index=True)
    before = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["target_type", "target_id"], name="audit_target_idx"),
            models.Index(fields=["actor", "at"], name="audit_actor_at_idx"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_username or '-'} {self.action} {self.target_type}#{self.target_id}"
