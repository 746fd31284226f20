"""Reads of payments, scoped to the caller: a customer sees their own, a manager all."""

import django_filters
from django.db.models import QuerySet

from accounts.models import User

from .models import Payment


def payments_for(user: User) -> QuerySet[Payment]:
    payments = Payment.objects.select_related("account", "customer__user", "transaction", "reviewed_by").order_by("-id")
    if user.is_manager:
        return payments
    customer = getattr(user, "customer", None) if user.is_customer else None
    if customer is None:
        return payments.none()
    return payments.filter(customer_id=customer.pk)


class PaymentFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Payment.Status.choices)
    gateway = django_filters.CharFilter()
    date_from = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte", help_text="Started on or after.")
    date_to = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte", help_text="Started on or before.")
    account = django_filters.CharFilter(field_name="account__account_no", help_text="An account number.")

    class Meta:
        model = Payment
        fields = ["status", "gateway", "date_from", "date_to", "account"]
