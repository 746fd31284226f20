"""Reads of loans, scoped to the caller: a customer sees their own, a manager all."""

from datetime import date

import django_filters
from django.db.models import Prefetch, QuerySet

from accounts.models import User

from .models import Installment, Loan, Repayment


def loans_for(user: User) -> QuerySet[Loan]:
    """The loans `user` may see, newest first, with what a list row shows in the same query."""
    loans = Loan.objects.select_related("customer__user", "account", "decided_by").order_by("-id")
    if user.is_manager:
        return loans
    if user.is_customer:
        return loans.filter(customer__user=user)
    return loans.none()


def loan_details_for(user: User) -> QuerySet[Loan]:
    """As loans_for, with the schedule and the repayments (two more queries, whatever their number)."""
    return loans_for(user).prefetch_related(
        Prefetch("installments", queryset=Installment.objects.order_by("number")),
        Prefetch("repayments", queryset=Repayment.objects.select_related("transaction").order_by("-id")),
    )


OVERDUE = "overdue"
INSTALLMENT_DISPLAY_STATUSES = [*Installment.Status.values, OVERDUE]


def installment_status(installment: Installment, today: date) -> str:
    """As stored, except that an installment past its due date and not fully paid is `overdue`."""
    if installment.status != Installment.Status.PAID and installment.due_date < today:
        return OVERDUE
    return installment.status


def days_past_due(installment: Installment, today: date) -> int:
    if installment.status != Installment.Status.PAID and installment.due_date < today:
        return (today - installment.due_date).days
    return 0


class LoanFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Loan.Status.choices)
    # Bounded whole numbers: a huge or fractional id is a 400, not a database overflow.
    customer = django_filters.NumberFilter(
        field_name="customer_id", min_value=1, max_value=2**63 - 1, decimal_places=0,
        help_text="Managers: one customer's loans (a customer id).",
    )

    class Meta:
        model = Loan
        fields = ["status", "customer"]
