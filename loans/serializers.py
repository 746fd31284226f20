from decimal import Decimal

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from bank_project.api.mixins import StrictSerializerMixin
from bank_project.api.parties import PARTY_DETAILS, ManagerOnlyFieldsMixin, party_details
from bank_project.money import MoneyField, money_output

from . import selectors
from .models import Installment, Loan, Repayment
from .services import MAX_ANNUAL_RATE, MAX_TERM_MONTHS, MIN_TERM_MONTHS


def LoanAmountField(**kwargs):  # noqa: N802 - a field factory
    """An amount as MoneyField reads it; the loan ceiling (a setting) is the service's to check."""
    return MoneyField(max_value=None, **kwargs)


def TermField(**kwargs):  # noqa: N802
    message = f"The term must be a whole number of months from {MIN_TERM_MONTHS} to {MAX_TERM_MONTHS}."
    return serializers.IntegerField(
        min_value=MIN_TERM_MONTHS,
        max_value=MAX_TERM_MONTHS,
        error_messages={"invalid": message, "min_value": message, "max_value": message, "max_string_length": message},
        **kwargs,
    )


# --- Input ------------------------------------------------------------------------------------


class LoanRequestSerializer(StrictSerializerMixin, serializers.Serializer):
    amount_requested = LoanAmountField()
    term_months = TermField(required=False, default=12, help_text="Months to repay over, 1-360 (default 12).")
    purpose = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class LoanPreviewQuerySerializer(serializers.Serializer):
    amount = LoanAmountField()
    term_months = TermField(required=False, default=12)


class ApproveLoanSerializer(StrictSerializerMixin, serializers.Serializer):
    amount_approved = LoanAmountField(help_text="At most the amount requested; this is what is disbursed.")
    annual_interest_rate = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=MAX_ANNUAL_RATE,
        required=False,
        help_text="Percent a year, 0-100; default: the rate the loan was requested at.",
        error_messages={
            "invalid": "Enter the rate as a number of percent, e.g. 12.5.",
            "min_value": "The interest rate cannot be negative.",
            "max_value": f"The interest rate cannot be above {MAX_ANNUAL_RATE} percent a year.",
            "max_digits": f"The interest rate cannot be above {MAX_ANNUAL_RATE} percent a year.",
            "max_whole_digits": f"The interest rate cannot be above {MAX_ANNUAL_RATE} percent a year.",
            "max_decimal_places": "The interest rate can have at most 2 decimal places.",
        },
    )


class RejectLoanSerializer(StrictSerializerMixin, serializers.Serializer):
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class RepayLoanSerializer(StrictSerializerMixin, serializers.Serializer):
    amount = MoneyField()


# --- Output -----------------------------------------------------------------------------------


class InstallmentSerializer(serializers.ModelSerializer):
    amount = money_output(read_only=True)
    amount_paid = money_output(read_only=True)
    amount_due = money_output(read_only=True, help_text="What remains to pay on this installment.")
    status = serializers.SerializerMethodField(help_text="unpaid, partially_paid, paid or overdue.")
    days_past_due = serializers.SerializerMethodField()

    class Meta:
        model = Installment
        fields = [
            "number", "due_date", "principal", "interest", "amount", "principal_paid", "interest_paid",
            "amount_paid", "amount_due", "status", "days_past_due", "paid_at",
        ]
        read_only_fields = fields

    def _today(self):
        return self.context.get("today") or timezone.localdate()

    @extend_schema_field(serializers.ChoiceField(choices=selectors.INSTALLMENT_DISPLAY_STATUSES))
    def get_status(self, installment) -> str:
        return selectors.installment_status(installment, self._today())

    def get_days_past_due(self, installment) -> int:
        return selectors.days_past_due(installment, self._today())


class RepaymentSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(source="transaction.reference", read_only=True)

    class Meta:
        model = Repayment
        fields = ["id", "reference", "amount", "principal", "interest", "created_at"]
        read_only_fields = fields


# The borrower's details only a manager sees (customer_name is everyone's).
LOAN_CUSTOMER_DETAILS = tuple(f"customer_{name}" for name in PARTY_DETAILS if name != "name")


class LoanSerializer(ManagerOnlyFieldsMixin, party_details("customer", "account", "customer"),
                     serializers.ModelSerializer):
    """A loan row; every field is read-only (the services change loans, not clients).
    A manager also sees the borrower's customer_* details (the web client's loans page)."""

    customer_name = serializers.SerializerMethodField()
    manager_only_fields = LOAN_CUSTOMER_DETAILS
    account_no = serializers.CharField(source="account.account_no", read_only=True)
    decided_by = serializers.CharField(source="decided_by.username", read_only=True, allow_null=True, default=None)
    outstanding_total = money_output(read_only=True)

    class Meta:
        model = Loan
        fields = [
            "id", "customer", "customer_name", *LOAN_CUSTOMER_DETAILS, "account_no", "amount_requested",
            "amount_approved", "term_months",
            "purpose", "annual_interest_rate", "status", "request_date", "decided_by", "decided_at",
            "decision_reason", "installment_amount", "total_interest", "outstanding_principal",
            "outstanding_interest", "outstanding_total", "paid_at", "days_past_due", "delinquency_bucket",
        ]
        read_only_fields = fields

    def get_customer_name(self, loan) -> str:
        user = loan.customer.user
        return user.get_full_name() or user.username


class LoanDetailSerializer(LoanSerializer):
    """A loan with its schedule (installments, `overdue` computed today) and its repayments."""

    disbursement_reference = serializers.CharField(source="disbursement.reference", read_only=True, allow_null=True,
                                                   default=None)
    amount_overdue = serializers.SerializerMethodField()
    installments = InstallmentSerializer(many=True, read_only=True)
    repayments = RepaymentSerializer(many=True, read_only=True)

    class Meta(LoanSerializer.Meta):
        fields = [*LoanSerializer.Meta.fields, "disbursement_reference", "amount_overdue", "installments",
                  "repayments"]
        read_only_fields = fields

    @extend_schema_field(money_output())
    def get_amount_overdue(self, loan) -> str:
        today = self.context.get("today") or timezone.localdate()
        total = sum(
            (i.amount_due for i in loan.installments.all() if selectors.installment_status(i, today) == "overdue"),
            Decimal("0.00"),
        )
        return f"{total:.2f}"


class RepayResultSerializer(LoanDetailSerializer):
    """The loan after the repayment, with the repayment made and the account balance after it."""

    repayment = RepaymentSerializer(read_only=True, help_text="The repayment just made.")
    balance = money_output(read_only=True, help_text="Your account's balance after the repayment.")

    class Meta(LoanDetailSerializer.Meta):
        fields = [*LoanDetailSerializer.Meta.fields, "repayment", "balance"]
        read_only_fields = fields


class PreviewInstallmentSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    due_date = serializers.DateField()
    principal = money_output()
    interest = money_output()
    amount = money_output()


class LoanPreviewSerializer(serializers.Serializer):
    amount = money_output()
    term_months = serializers.IntegerField()
    annual_interest_rate = serializers.DecimalField(max_digits=5, decimal_places=2)
    installment_amount = money_output(help_text="The monthly installment (the last one may differ by cents).")
    total_interest = money_output()
    total_repayable = money_output()
    installments = PreviewInstallmentSerializer(many=True)
