"""The notification outbox: one row per event a user is told about.

A service that moves money or decides a loan writes the row in the same database
transaction as the change, so a notification exists exactly when the change does. A
worker delivers pending rows by email (at least once: a row stays pending until its email
went out); the unique (user, kind, event) constraint means one row, hence one email, per
recipient and event, however often the event's code path runs.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Kind(models.TextChoices):
    MONEY_RECEIVED = "money_received", "Money received"
    DEPOSIT_COMPLETED = "deposit_completed", "Deposit completed"
    LOAN_APPROVED = "loan_approved", "Loan approved"
    LOAN_REJECTED = "loan_rejected", "Loan rejected"
    INSTALLMENT_DUE = "installment_due", "Installment due soon"
    INSTALLMENT_OVERDUE = "installment_overdue", "Installment overdue"
    PASSWORD_CHANGED = "password_changed", "Password changed"
    NEW_SIGN_IN = "new_sign_in", "New sign-in"


class Notification(models.Model):
    class EmailStatus(models.TextChoices):
        PENDING = "pending", "Waiting to be emailed"
        SENT = "sent", "Emailed"
        SKIPPED = "skipped", "Not emailed (no address, or the user opted out)"
        FAILED = "failed", "Gave up after repeated failures"

    # db_index=False: notification_user_recent and the once-per-event constraint lead with it.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications",
                             db_index=False)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    # What happened, as a stable key ("transaction-TX..", "installment-42"; no colons, so the SQL replay of issue 15 can carry them): one row per user, kind and event.
    event = models.CharField(max_length=100)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    email_status = models.CharField(max_length=10, choices=EmailStatus.choices, default=EmailStatus.PENDING)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    emailed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "event"], name="notification_once_per_user_and_event"),
            models.CheckConstraint(
                condition=Q(email_status__in=["pending", "sent", "skipped", "failed"]),
                name="notification_email_status_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-id"], name="notification_user_recent"),
            # The delivery sweep reads the few pending rows, oldest first.
            models.Index(fields=["id"], condition=Q(email_status="pending"), name="notification_pending"),
        ]

    def __str__(self):
        return f"{self.kind} for user {self.user_id} ({self.email_status})"


class EmailPreference(models.Model):
    """A kind the user chose NOT to get by email (every kind is emailed unless opted out).

    The notification is still recorded and listed at /api/notifications/.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    email = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="email_preference_once_per_kind")]

    def __str__(self):
        return f"{self.kind}: {'email' if self.email else 'no email'} for user {self.user_id}"
