"""Reads of users and profiles, scoped to the caller: a customer sees only themselves."""

from django.db.models import QuerySet

from .models import Customer, Manager, ManagerApplication, User


def customers_for(user: User) -> QuerySet[Customer]:
    """Every customer for a manager; for anyone else, at most their own profile."""
    customers = Customer.objects.select_related("user", "account").order_by("-id")
    if user.is_manager:
        return customers
    return customers.filter(user=user)


def managers_for(user: User) -> QuerySet[Manager]:
    """Every manager for a manager; nobody for anyone else (the old client lists them)."""
    if not user.is_manager:
        return Manager.objects.none()
    return Manager.objects.select_related("user").order_by("-id")


def manager_applications() -> QuerySet[ManagerApplication]:
    """Every application (managers only: the views gate the role)."""
    return ManagerApplication.objects.select_related("user", "decided_by").order_by("-id")
