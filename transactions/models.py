"""The double-entry ledger: accounts, transactions and their entries.

Every movement of money is one Transaction with entries that sum to zero; an account's
balance is the sum of its entries. Transactions and entries are append-only (database
triggers refuse UPDATE and DELETE, see migration 0002); mistakes are reversed, not edited.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

from bank_project.money import ZERO, money_field


def luhn_check_digit(digits: str) -> str:
    """The Luhn check digit for a string of digits (catches any single-digit typo)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2 == 0:  # doubled: these sit right of where the check digit goes
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


def is_valid_account_no(account_no: str) -> bool:
    return (
        isinstance(account_no, str)
        and len(account_no) == 10
        and account_no.isascii()
        and account_no.isdigit()
        and luhn_check_digit(account_no[:9]) == account_no[9]
    )


def generate_account_no() -> str:
    """A random 10-digit account number: 9 digits (not starting with 0) and a Luhn digit."""
    body = str(secrets.randbelow(900_000_000) + 100_000_000)
    return body + luhn_check_digit(body)


class Account(models.Model):
    class Kind(models.TextChoices):
        CUSTOMER = "customer", "Customer account"
        INTERNAL = "internal", "Bank-internal account"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        FROZEN = "frozen", "Frozen"
        CLOSED = "closed", "Closed"

    # Codes of the bank's own accounts, created by a data migration.
    CASH = "cash"
    LOANS_RECEIVABLE = "loans_receivable"
    INTEREST_INCOME = "interest_income"
    # Money a payment gateway has confirmed but not yet settled to the bank.
    GATEWAY_CLEARING = "gateway_clearing"
    INTEREST_EXPENSE = "interest_expense"
    FEE_INCOME = "fee_income"

    account_no = models.CharField(max_length=10, unique=True, default=generate_account_no, editable=False)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CUSTOMER)
    customer = models.OneToOneField(
        "accounts.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="account"
    )
    # Bank-internal accounts are found by code ("cash", "loans_receivable", ...). Each is
    # split into LEDGER_INTERNAL_SHARDS rows (shard 0..N-1) so that postings to it do not
    # queue on one locked row; its balance is the sum over its shards (docs/architecture.md).
    code = models.CharField(max_length=32, null=True, blank=True)
    shard = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=100, blank=True)
    currency = models.CharField(max_length=3, default="BDT")
    balance = money_field(default=ZERO)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    opened_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            # The last guard: customers' money never goes below zero, whatever the code does.
            models.CheckConstraint(
                condition=Q(kind="internal") | Q(balance__gte=0), name="customer_balance_not_negative"
            ),
            models.CheckConstraint(
                condition=(Q(kind="customer") & Q(customer__isnull=False) & Q(code__isnull=True))
                | (Q(kind="internal") & Q(customer__isnull=True) & Q(code__isnull=False)),
                name="account_owner_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["active", "frozen", "closed"]), name="account_status_valid"
            ),
            models.UniqueConstraint(fields=["code", "shard"], name="internal_account_code_shard_unique"),
            models.CheckConstraint(condition=Q(kind="internal") | Q(shard=0), name="customer_account_unsharded"),
        ]

    def __str__(self):
        return f"{self.account_no} ({self.name or self.code or self.kind})"

    @property
    def is_internal(self) -> bool:
        return self.kind == self.Kind.INTERNAL


class Transaction(models.Model):
    class Kind(models.TextChoices):
        DEPOSIT = "deposit", "Deposit"
        WITHDRAWAL = "withdrawal", "Withdrawal"
        TRANSFER = "transfer", "Transfer"
        LOAN_DISBURSEMENT = "loan_disbursement", "Loan disbursement"
        LOAN_REPAYMENT = "loan_repayment", "Loan repayment"
        REVERSAL = "reversal", "Reversal"
        INTEREST = "interest", "Interest on savings"
        LATE_FEE = "late_fee", "Late fee"

    # Unique by a constraint, not unique=True: on PostgreSQL that would add a second,
    # varchar_pattern_ops index (for LIKE 'TX12%') that no query uses, to every insert.
    reference = models.CharField(max_length=20, editable=False)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    amount = money_field()
    currency = models.CharField(max_length=3)
    # Where the money came from and went to, for history queries; the entries are the truth.
    # No index of their own: tx_source_recent / tx_destination_recent lead with them.
    source = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="outgoing_transactions",
                               db_index=False)
    destination = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="incoming_transactions",
                                    db_index=False)
    description = models.CharField(max_length=255, blank=True)
    # No index of its own: nothing lists transactions by who posted them (the audit trail
    # answers "what did this teller do"), and each index is one more entry per posting.
    performed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # One-to-one: a transaction can be reversed once; its reversal is `transaction.reversal`.
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversal"
    )

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["reference"], name="transaction_reference_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="transaction_amount_positive"),
            models.CheckConstraint(
                condition=Q(kind="reversal", reverses__isnull=False) | (~Q(kind="reversal") & Q(reverses__isnull=True)),
                name="reversal_points_at_original",
            ),
        ]
        indexes = [
            models.Index(fields=["source", "-id"], name="tx_source_recent"),
            models.Index(fields=["destination", "-id"], name="tx_destination_recent"),
            models.Index(fields=["kind", "-id"], name="tx_kind_recent"),
        ]

    def __str__(self):
        return f"{self.reference} {self.kind} {self.amount} {self.currency}"


class Entry(models.Model):
    """One leg of a transaction: a signed amount on one account (+ raises its balance)."""

    transaction = models.ForeignKey(Transaction, on_delete=models.PROTECT, related_name="entries")
    # No index of its own: entry_account_history (account, id) leads with it.
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries", db_index=False)
    amount = money_field()
    balance_after = money_field()

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "entries"
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="entry_amount_not_zero"),
        ]
        indexes = [models.Index(fields=["account", "id"], name="entry_account_history")]

    def __str__(self):
        return f"{self.transaction_id}: {self.account_id} {self.amount:+}"


class IdempotencyKey(models.Model):
    """The first response to a money-moving POST, replayed when the client retries.

    Inserted in the same database transaction as the movement: a concurrent retry waits
    on the unique index until the first request commits, then replays its response.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")]
