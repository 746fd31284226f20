"""Opening a customer: the one step that joins a person (accounts) to the ledger (transactions).

It lives above both apps so that neither imports the other's services: the profile and the
account open in one database transaction, or neither does.
"""

from django.db import transaction

from accounts.models import Customer, User
from accounts.services import create_customer_profile, register_user
from transactions.services import open_customer_account


@transaction.atomic
def open_customer(*, user: User, **profile) -> Customer:
    """Make `user` a customer and open their bank account."""
    customer = create_customer_profile(user=user, **profile)
    open_customer_account(customer=customer)
    return customer


@transaction.atomic
def register(*, customer_profile: dict | None = None, **user_fields) -> User:
    """Create a user; with `customer_profile`, also their customer profile and account."""
    user = register_user(**user_fields)
    if customer_profile is not None:
        open_customer(user=user, **customer_profile)
    return user
