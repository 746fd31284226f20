"""Writes on users and profiles. Views and commands call these, never the ORM directly."""

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from bank_project.exceptions import Conflict, DomainError

from .models import Customer, Manager, User


class ProfileAlreadyExists(Conflict):
    code = "profile_exists"
    default_message = "This user already has a customer or manager profile."


class WrongPassword(DomainError):
    code = "wrong_password"
    default_message = "The old password is not correct."


@transaction.atomic
def register_user(*, username: str, password: str, email: str = "", first_name: str = "", last_name: str = "",
                  customer_profile: dict | None = None) -> User:
    """Create a user; with `customer_profile`, also their customer profile and account."""
    user = User(username=username, email=email, first_name=first_name, last_name=last_name)
    password_validation.validate_password(password, user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # two registrations racing for one username
        raise ValidationError({"username": ["This username is taken."]}) from exc
    if customer_profile is not None:
        create_customer(user=user, **customer_profile)
    return user


def _ensure_no_profile(user: User) -> None:
    # Locking the user row serialises two concurrent profile creations for one user.
    User.objects.select_for_update().filter(pk=user.pk).first()
    if Customer.objects.filter(user=user).exists() or Manager.objects.filter(user=user).exists():
        raise ProfileAlreadyExists()


@transaction.atomic
def create_customer(*, user: User, **profile) -> Customer:
    """Make `user` a customer and open their bank account, in one database transaction."""
    from transactions.services import open_customer_account

    _ensure_no_profile(user)
    customer = Customer(user=user, **profile)
    customer.full_clean(exclude=["user"])
    _save_profile(customer)
    open_customer_account(customer=customer)
    return customer


@transaction.atomic
def create_manager(*, user: User, **profile) -> Manager:
    _ensure_no_profile(user)
    manager = Manager(user=user, **profile)
    manager.full_clean(exclude=["user"])
    _save_profile(manager)
    return manager


def _save_profile(profile) -> None:
    try:
        with transaction.atomic():
            profile.save()
    except IntegrityError as exc:  # full_clean checked the NID; a concurrent insert won the race
        raise ValidationError({"nid": ["A profile with this national ID already exists."]}) from exc


@transaction.atomic
def change_password(*, user: User, old_password: str, new_password: str) -> None:
    if not user.check_password(old_password):
        raise WrongPassword()
    password_validation.validate_password(new_password, user)
    user.set_password(new_password)
    # Whole seconds, as in the tokens' `iat`: tokens issued from the next second on are valid.
    user.tokens_valid_after = timezone.now().replace(microsecond=0)
    user.save(update_fields=["password", "tokens_valid_after"])
