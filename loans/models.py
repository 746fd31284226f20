"""Loans and their repayment schedules.

A loan is decided once (pending -> approved | rejected | cancelled); approval disburses
through the ledger and fixes the schedule of monthly installments; repayments go through
the ledger too and are recorded against the installments, oldest first, until the loan
is paid. Every write goes through loans/services.py.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from bank_project.money import ZERO, money_field


class DelinquencyBucket(models.TextChoices):
    CURRENT = "", "Current"
    DAYS_1_30 = "1-30", "1-30 days past due"
    DAYS_31_60 = "31-60", "31-60 days past due"
    DAYS_61_90 = "61-90", "61-90 days past due"
    DAYS_90_PLUS = "90+", "More than 90 days past due"

    @classmethod
    def for_days(cls, days: int) -> str:
        if days <= 0:
            return cls.CURRENT
        if days <= 30:
            return cls.DAYS_1_30
        if days <= 60:
            return cls.DAYS_31_60
        if days <= 90:
            return cls.DAYS_61_90
        return cls.DAYS_90_PLUS


class Loan(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        CANCELLED = "cancelled", "Cancelled"
        PAID = "paid", "Paid"

    OPEN_STATUSES = (Status.PENDING, Status.APPROVED)

    customer = models.ForeignKey("accounts.Customer", on_delete=models.PROTECT, related_name="loans")
    # The customer account the loan is paid into and repaid from.
    account = models.ForeignKey("transactions.Account", on_delete=models.PROTECT, related_name="loans")
    amount_requested = money_field()
    term_months = models.PositiveSmallIntegerField()
    purpose = models.CharField(max_length=255, blank=True)
    # Percent a year (12.00 = 12 %); the default at request time, a manager may set it on approval.
    annual_interest_rate = models.DecimalField(max_digits=5, decimal_places=2)
    amount_approved = money_field(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    request_date = models.DateTimeField(auto_now_add=True)

    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField(max_length=255, blank=True)
    # One-to-one: a loan is disbursed at most once, whatever the code above does.
    disbursement = models.OneToOneField(
        "transactions.Transaction", null=True, blank=True, on_delete=models.PROTECT, related_name="disbursed_loan"
    )
    # Fixed by the schedule on approval; the outstanding amounts fall with each repayment.
    installment_amount = money_field(null=True, blank=True)
    total_interest = money_field(default=ZERO)
    outstanding_principal = money_field(default=ZERO)
    outstanding_interest = money_field(default=ZERO)
    paid_at = models.DateTimeField(null=True, blank=True)
    # Set by close of business each day: days since the oldest unpaid installment fell due.
    days_past_due = models.PositiveIntegerField(default=0)
    delinquency_bucket = models.CharField(max_length=5, choices=DelinquencyBucket.choices, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_requested__gt=0), name="loan_amount_requested_positive"),
            models.CheckConstraint(
                condition=Q(amount_approved__isnull=True)
                | (Q(amount_approved__gt=0) & Q(amount_approved__lte=F("amount_requested"))),
                name="loan_amount_approved_within_requested",
            ),
            models.CheckConstraint(
                condition=Q(term_months__gte=1) & Q(term_months__lte=360), name="loan_term_1_to_360_months"
            ),
            models.CheckConstraint(
                condition=Q(annual_interest_rate__gte=0) & Q(annual_interest_rate__lte=100),
                name="loan_rate_0_to_100",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "approved", "rejected", "cancelled", "paid"]),
                name="loan_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["approved", "paid"])
                | (Q(amount_approved__isnull=False) & Q(disbursement__isnull=False)),
                name="loan_disbursed_when_approved",
            ),
            models.CheckConstraint(
                condition=Q(outstanding_principal__gte=0) & Q(outstanding_interest__gte=0),
                name="loan_outstanding_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["customer", "status"], name="loan_customer_status")]

    def __str__(self):
        return f"Loan #{self.pk} {self.amount_requested} ({self.status})"

    @property
    def outstanding_total(self) -> Decimal:
        return self.outstanding_principal + self.outstanding_interest


class Installment(models.Model):
    """One month of a loan's schedule. `status` is as stored; `overdue` is computed at read time."""

    class Status(models.TextChoices):
        UNPAID = "unpaid", "Unpaid"
        PARTIALLY_PAID = "partially_paid", "Partially paid"
        PAID = "paid", "Paid"

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="installments")
    number = models.PositiveSmallIntegerField()
    due_date = models.DateField()
    principal = money_field()
    interest = money_field()
    principal_paid = money_field(default=ZERO)
    interest_paid = money_field(default=ZERO)
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.UNPAID)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["loan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["loan", "number"], name="installment_number_unique_per_loan"),
            models.CheckConstraint(
                condition=Q(principal__gte=0) & Q(interest__gte=0), name="installment_amounts_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(principal_paid__gte=0)
                & Q(principal_paid__lte=F("principal"))
                & Q(interest_paid__gte=0)
                & Q(interest_paid__lte=F("interest")),
                name="installment_paid_within_due",
            ),
        ]

    def __str__(self):
        return f"Loan #{self.loan_id} installment {self.number} due {self.due_date}"

    @property
    def amount(self) -> Decimal:
        return self.principal + self.interest

    @property
    def amount_paid(self) -> Decimal:
        return self.principal_paid + self.interest_paid

    @property
    def amount_due(self) -> Decimal:
        return self.amount - self.amount_paid


class Repayment(models.Model):
    """One repayment: its ledger transaction and how it split into interest and principal."""

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="repayments")
    transaction = models.OneToOneField(
        "transactions.Transaction", on_delete=models.PROTECT, related_name="loan_repayment"
    )
    amount = money_field()
    principal = money_field()
    interest = money_field()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="repayment_amount_positive"),
            # amount == principal + interest is the service's to keep: SQLite compares
            # decimals as floats, so an equality CHECK would misfire there.
            models.CheckConstraint(
                condition=Q(principal__gte=0) & Q(interest__gte=0) & Q(principal__lte=F("amount"))
                & Q(interest__lte=F("amount")),
                name="repayment_parts_within_amount",
            ),
        ]

    def __str__(self):
        return f"Repayment of {self.amount} on loan #{self.loan_id}"
