"""A customer's deposit through a payment gateway, from checkout to credit.

pending -> completed | failed | cancelled | expired, and a paid payment the gateway flags as
high risk -> held -> completed (released by staff) | refused. Only `completed` moved money,
and then through exactly one ledger transaction (`transaction`, unique): the database
refuses a second credit of the same payment, and a completed payment without one.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

from bank_project.money import money_field


def new_payment_reference() -> str:
    # The gateway's merchant transaction id (SSLCommerz allows 30 characters).
    return "PAY" + secrets.token_hex(8).upper()


class Payment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"
        EXPIRED = "expired", "Expired"
        # Paid, but the gateway flagged it high risk: nothing credited until staff review it.
        HELD = "held", "Held for review"
        REFUSED = "refused", "Refused after review"

    reference = models.CharField(max_length=30, unique=True, default=new_payment_reference, editable=False)
    customer = models.ForeignKey("accounts.Customer", on_delete=models.PROTECT, related_name="payments")
    account = models.ForeignKey("transactions.Account", on_delete=models.PROTECT, related_name="payments")
    amount = money_field()
    currency = models.CharField(max_length=3)
    # The customer's own words, carried onto the ledger deposit.
    description = models.CharField(max_length=255, blank=True, default="")
    gateway = models.CharField(max_length=20)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # The gateway's own ids: its checkout session, and its id of the paid transaction.
    gateway_session_id = models.CharField(max_length=255, blank=True, default="")
    gateway_transaction_id = models.CharField(max_length=255, blank=True, default="")
    # Where the customer pays (the gateway's page, or the sandbox checkout).
    payment_url = models.URLField(max_length=1000)
    # The ledger deposit this payment became: set once, when it completes.
    transaction = models.OneToOneField(
        "transactions.Transaction", null=True, blank=True, on_delete=models.PROTECT, related_name="payment"
    )
    # Why it ended as it did, or a note on an unusual settlement (paid after expiry).
    status_detail = models.CharField(max_length=255, blank=True, default="")
    # The gateway's fraud screening of the paid attempt (SSLCommerz: "0" safe, "1" risky).
    risk_level = models.CharField(max_length=10, blank=True, default="")
    risk_title = models.CharField(max_length=100, blank=True, default="")
    # Who released or refused a held payment, and when.
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    expires_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "completed", "failed", "cancelled", "expired", "held", "refused"]),
                name="payment_status_valid",
            ),
            # Completed exactly when the ledger holds its deposit.
            models.CheckConstraint(
                condition=(Q(status="completed") & Q(transaction__isnull=False) & Q(completed_at__isnull=False))
                | (~Q(status="completed") & Q(transaction__isnull=True)),
                name="payment_completed_has_ledger_deposit",
            ),
            # A refusal is a review; a release leaves a completed payment with its reviewer.
            models.CheckConstraint(
                condition=~Q(status="refused") | Q(reviewed_by__isnull=False, reviewed_at__isnull=False),
                name="payment_refused_was_reviewed",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "-id"], name="payment_customer_recent"),
            models.Index(fields=["status", "expires_at"], name="payment_status_expiry"),
            models.Index(fields=["gateway", "gateway_session_id"], name="payment_gateway_session"),
        ]

    def __str__(self):
        return f"{self.reference} {self.amount} {self.currency} {self.status}"
