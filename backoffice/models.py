"""Close of business: what each business date's run did, and the records that make it idempotent.

Every job writes a row keyed by what it did it for (account and date, account and month,
loan and date, installment), under a unique constraint: running a date again finds the
rows and does nothing more.
"""

from django.db import models
from django.db.models import Q

from bank_project.money import ZERO, money_field


class CloseOfBusinessRun(models.Model):
    """One run of close of business for one business date (a date may be run again)."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Completed"
        COMPLETED_WITH_ERRORS = "completed_with_errors", "Completed; some items failed (see errors)"
        FAILED = "failed", "Failed"

    CLOSED_STATUSES = (Status.COMPLETED, Status.COMPLETED_WITH_ERRORS)

    business_date = models.DateField()
    trigger = models.CharField(max_length=20)  # command, schedule, admin
    status = models.CharField(max_length=25, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["business_date", "status"], name="cob_run_date_status")]

    def __str__(self):
        return f"Close of business {self.business_date} ({self.status})"


class InterestAccrual(models.Model):
    """A savings account's end-of-day balance on one date, and the rate it earns.

    The day's interest is balance x rate / 100 / 365, kept exact: the month's posting sums
    balance x rate over its days and divides once (see InterestPosting).
    """

    account = models.ForeignKey("transactions.Account", on_delete=models.PROTECT, related_name="+")
    business_date = models.DateField()
    balance = money_field()
    annual_rate = models.DecimalField(max_digits=5, decimal_places=2)
    posting = models.ForeignKey(
        "InterestPosting", null=True, blank=True, on_delete=models.PROTECT, related_name="accruals"
    )

    class Meta:
        ordering = ["business_date", "account"]
        constraints = [
            models.UniqueConstraint(fields=["account", "business_date"], name="interest_accrual_once_per_day"),
        ]
        indexes = [models.Index(fields=["business_date"], condition=Q(posting__isnull=True),
                                name="interest_accrual_unposted")]

    def __str__(self):
        return f"{self.account_id} {self.business_date}: {self.balance} at {self.annual_rate}%"


class InterestPosting(models.Model):
    """A month's interest on one account: the exact sum of its daily accruals, rounded half-even to the cent."""

    account = models.ForeignKey("transactions.Account", on_delete=models.PROTECT, related_name="+")
    month = models.DateField(help_text="The first day of the month the interest was earned in.")
    days = models.PositiveSmallIntegerField()
    accrued = models.DecimalField(max_digits=30, decimal_places=12, help_text="Exact to 12 places, before rounding.")
    amount = money_field()
    posted_on = models.DateField()
    # Null when the month's interest rounds to 0.00: nothing to post, but the month is done.
    transaction = models.OneToOneField(
        "transactions.Transaction", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-month", "account"]
        constraints = [
            models.UniqueConstraint(fields=["account", "month"], name="interest_posting_once_per_month"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="interest_posting_not_negative"),
        ]

    def __str__(self):
        return f"Interest {self.month:%Y-%m} on {self.account_id}: {self.amount}"


class LateFee(models.Model):
    """An installment became overdue (unpaid LOAN_GRACE_DAYS after its due date): once per installment.

    The fee is collected from the customer's account by close of business once the money
    is there (after the installments, which come first).
    """

    installment = models.OneToOneField("loans.Installment", on_delete=models.PROTECT, related_name="late_fee")
    amount = money_field()
    assessed_on = models.DateField()
    transaction = models.OneToOneField(
        "transactions.Transaction", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    collected_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="late_fee_not_negative")]

    def __str__(self):
        return f"Late fee {self.amount} on installment {self.installment_id}"


class CollectionAttempt(models.Model):
    """Close of business tried to collect what a loan owed on a date: once per loan and date."""

    loan = models.ForeignKey("loans.Loan", on_delete=models.PROTECT, related_name="+")
    business_date = models.DateField()
    amount_due = money_field()
    installments_collected = money_field(default=ZERO)
    fees_collected = money_field(default=ZERO)
    error = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["loan", "business_date"], name="collection_once_per_loan_and_day"),
        ]

    def __str__(self):
        return f"Loan {self.loan_id} on {self.business_date}: {self.installments_collected} of {self.amount_due}"
