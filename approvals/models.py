from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import F, Q


class ApprovalRequest(models.Model):
    """A risky action one staff member (the maker) asked for, waiting for a different one
    (the checker) to approve it (it then executes, once) or reject it."""

    class Action(models.TextChoices):
        REVERSE_TRANSACTION = "reverse_transaction", "Reverse a transaction"
        APPROVE_LOAN = "approve_loan", "Approve a loan above the four-eyes limit"
        UNFREEZE_ACCOUNT = "unfreeze_account", "Unfreeze an account"
        CHANGE_ROLE = "change_role", "Change a staff member's role"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        EXECUTED = "executed", "Approved and executed"
        REJECTED = "rejected", "Rejected"
        FAILED = "failed", "Approved, but refused when executed"

    action = models.CharField(max_length=40, choices=Action.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    target_type = models.CharField(max_length=60)
    target_id = models.CharField(max_length=64)
    payload = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    summary = models.CharField(max_length=255)
    maker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    checker = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=255, blank=True, help_text="Why it was rejected, or why execution failed.")
    result = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["-id"]
        constraints = [
            # Four eyes in the database too: nobody checks their own request.
            models.CheckConstraint(condition=~Q(checker=F("maker")), name="approval_checker_is_not_maker"),
            # One pending request per action and target, also when two makers submit at once.
            models.UniqueConstraint(fields=["action", "target_type", "target_id"], condition=Q(status="pending"),
                                    name="approval_one_pending_per_target"),
            models.CheckConstraint(
                condition=Q(status="pending", checker__isnull=True, decided_at__isnull=True)
                | (~Q(status="pending") & Q(checker__isnull=False, decided_at__isnull=False)),
                name="approval_decided_has_checker",
            ),
        ]
        indexes = [models.Index(fields=["action", "target_type", "target_id", "status"], name="approval_target_idx")]

    def __str__(self):
        return f"#{self.pk} {self.get_action_display()}: {self.summary} ({self.status})"
