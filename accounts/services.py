"""Writes on users and profiles. Views and commands call these, never the ORM directly."""

from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import status

from audit.models import Action
from audit.services import record
from bank_project.errors import Conflict, DomainError
from notifications import services as notifications
from staff.roles import assign_default_role
from usersessions import services as session_services

from .models import Customer, Manager, ManagerApplication, User


class ProfileAlreadyExists(Conflict):
    code = "profile_exists"
    default_message = "This user already has a customer or manager profile."


class WrongPassword(DomainError):
    code = "wrong_password"
    default_message = "The old password is not correct."


class InvalidCredentials(DomainError):
    status_code = status.HTTP_401_UNAUTHORIZED
    code = "invalid_credentials"
    default_message = "Wrong username or password."


class TooManyFailedLogins(DomainError):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    code = "throttled"
    default_message = "Too many failed logins. Try again in a minute."

    @property
    def retry_after(self) -> int:
        return settings.LOGIN_FAILURE_WINDOW_SECONDS


def _failure_counters(username: str, ip: str) -> list[tuple[str, int]]:
    return [
        (f"login-failures:user:{username.lower()}", settings.LOGIN_FAILURES_PER_USERNAME),
        (f"login-failures:ip:{ip}", settings.LOGIN_FAILURES_PER_IP),
    ]


def log_in(*, request, username: str, password: str, ip: str) -> User:
    """Check a username and password, counting failures per username and per client IP in
    the shared cache: past the limit every attempt is refused until the window ends, right
    password or not (a brute-force brake, not a rate limit)."""
    counters = _failure_counters(username, ip)
    if settings.API_THROTTLE:
        counts = cache.get_many([key for key, _ in counters])
        if any(counts.get(key, 0) >= limit for key, limit in counters):
            raise TooManyFailedLogins()
    user = authenticate(request, username=username, password=password)
    if user is None:
        if settings.API_THROTTLE:
            window = settings.LOGIN_FAILURE_WINDOW_SECONDS
            for key, _ in counters:
                if not cache.add(key, 1, timeout=window):
                    try:
                        cache.incr(key)
                    except ValueError:  # expired between add and incr
                        cache.add(key, 1, timeout=window)
        raise InvalidCredentials()  # audited by audit.signals (user_login_failed)
    record(Action.LOGIN, actor=user, target=user)
    notifications.new_sign_in(user=user, ip=ip)
    return user


@transaction.atomic
def register_user(*, username: str, password: str, email: str = "", first_name: str = "", last_name: str = "") -> User:
    """Create a user (with no profile yet: see onboarding for a customer's)."""
    user = User(username=username, email=email, first_name=first_name, last_name=last_name)
    password_validation.validate_password(password, user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # two registrations racing for one username
        raise ValidationError({"username": ["This username is taken."]}) from exc
    return user


def _ensure_no_profile(user: User) -> None:
    # Locking the user row serialises two concurrent profile creations for one user.
    User.objects.select_for_update().filter(pk=user.pk).first()
    if Customer.objects.filter(user=user).exists() or Manager.objects.filter(user=user).exists():
        raise ProfileAlreadyExists()


@transaction.atomic
def create_customer_profile(*, user: User, **profile) -> Customer:
    """The customer profile alone; onboarding.services.open_customer also opens the account."""
    _ensure_no_profile(user)
    customer = Customer(user=user, **profile)
    customer.full_clean(exclude=["user"])
    _save_profile(customer)
    return customer


@transaction.atomic
def create_manager(*, user: User, **profile) -> Manager:
    _ensure_no_profile(user)
    manager = Manager(user=user, **profile)
    manager.full_clean(exclude=["user"])
    _save_profile(manager)
    assign_default_role(user)  # staff.capabilities.DEFAULT_ROLE, unless a role was given already
    return manager


def _save_profile(profile) -> None:
    try:
        with transaction.atomic():
            profile.save()
    except IntegrityError as exc:  # full_clean checked the NID; a concurrent insert won the race
        raise ValidationError({"nid": ["A profile with this national ID already exists."]}) from exc


@transaction.atomic
def change_password(*, user: User, old_password: str, new_password: str, session=None):
    """Set the new password and end every login session of the user but `session` (the one
    making the change, which goes on). Returns the session to issue fresh tokens for: `session`,
    or a new one when the change came from outside any (the admin's cookie login)."""
    if not user.check_password(old_password):
        raise WrongPassword()
    password_validation.validate_password(new_password, user)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    record(Action.PASSWORD_CHANGED, actor=user, target=user)
    notifications.password_changed(user=user)
    session_services.end_other_sessions(user=user, keep_session_id=session.pk if session else None)
    return session or session_services.open_session(user=user)


@transaction.atomic
def password_set_by_staff(*, user: User, by) -> int:
    """What follows a password set in the admin (the change-password form of `user`, or the
    admin's own password page when `by` is `user`; the form has saved it in the same
    transaction): the audit row, the user told, and every API login session of the user ended
    by `by`. A password set for someone is a reset (after a takeover, or to shut password login
    off), so no session made with the old one goes on; and the admin's own browser session is
    not one of the API's, so a change there ends them all. Returns how many sessions ended."""
    record(Action.PASSWORD_CHANGED, actor=by, target=user,
           after={"set_by_staff": by.pk != user.pk, "in_admin": True, "usable": user.has_usable_password()})
    notifications.password_changed(user=user)
    return session_services.end_other_sessions(user=user, ended_by=by)


# --- Manager applications: a user asks, another manager decides -----------------------------


class CannotApply(DomainError):
    code = "cannot_apply"


class ApplicationPending(Conflict):
    code = "application_pending"
    default_message = "You already have a pending manager application; a manager will decide on it."


class ApplicationNotPending(Conflict):
    code = "application_not_pending"
    default_message = "This application has already been decided."


APPLICATION_FIELDS = ("mobile_no", "nid", "image", "age", "religion")


@transaction.atomic
def apply_for_manager(*, user: User, **profile) -> ManagerApplication:
    """File an application to become a manager; a manager approves or rejects it."""
    User.objects.select_for_update().filter(pk=user.pk).first()  # one application at a time per user
    if Manager.objects.filter(user=user).exists() or user.is_superuser:
        raise CannotApply("You are already a manager.")
    if Customer.objects.filter(user=user).exists():
        raise CannotApply("Customers cannot become managers: a manager needs a login of their own, "
                          "without a bank account.")
    if ManagerApplication.objects.filter(user=user, status=ManagerApplication.Status.PENDING).exists():
        raise ApplicationPending()
    application = ManagerApplication(user=user, **profile)
    application.full_clean(exclude=["user"])
    try:
        with transaction.atomic():
            application.save()
    except IntegrityError as exc:  # a concurrent application won the race
        raise ApplicationPending() from exc
    return application


def _lock_pending(application: ManagerApplication) -> ManagerApplication:
    locked = ManagerApplication.objects.select_for_update().select_related("user").get(pk=application.pk)
    if locked.status != ManagerApplication.Status.PENDING:
        raise ApplicationNotPending()
    return locked


@transaction.atomic
def approve_manager_application(*, application: ManagerApplication, decided_by: User) -> Manager:
    """Create the Manager profile from the application, once: the row lock makes a second,
    concurrent approval wait and then find it decided (409). The profile and the decision
    are one database transaction."""
    locked = _lock_pending(application)
    if locked.user_id == decided_by.pk:
        raise CannotApply("Nobody decides on their own application.")
    manager = create_manager(user=locked.user, **{name: getattr(locked, name) for name in APPLICATION_FIELDS})
    locked.status = ManagerApplication.Status.APPROVED
    locked.decided_by = decided_by
    locked.decided_at = timezone.now()
    locked.save(update_fields=["status", "decided_by", "decided_at"])
    return manager


@transaction.atomic
def reject_manager_application(*, application: ManagerApplication, decided_by: User,
                               reason: str = "") -> ManagerApplication:
    locked = _lock_pending(application)
    locked.status = ManagerApplication.Status.REJECTED
    locked.decided_by = decided_by
    locked.decided_at = timezone.now()
    locked.decision_reason = reason
    locked.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    return locked
