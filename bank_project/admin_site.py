"""The Django admin, opened to bank managers.

Managers are not Django staff with model permissions: their role is their Manager profile.
The site lets them in, and `ManagerAdminMixin` gives them the model admins that use it.
Everything else (users, groups) stays with superusers and Django's own permissions.
With STAFF_MFA_REQUIRED, the login asks for a TOTP (or recovery) code as well, through
django-otp's OTP admin form and template, and only sessions verified by it get in.
"""

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.apps import AdminConfig
from django.db import models, transaction

from bank_project.errors import DomainError


class BankAdminSite(admin.AdminSite):
    site_header = "Bank administration"
    site_title = "Bank admin"
    index_title = "Customers, ledger, loans and inbox"
    # The index shows the reports app's charts above the models (reports/templates).
    index_template = "reports/admin_index.html"

    @property
    def login_form(self):
        # Django's admin login form refuses users who are not is_staff: managers are not.
        from .admin_forms import ManagerAuthenticationForm, ManagerOTPAuthenticationForm

        return ManagerOTPAuthenticationForm if settings.STAFF_MFA_REQUIRED else ManagerAuthenticationForm

    @property
    def login_template(self):
        # django-otp's admin login page: the password form plus the code field.
        return "otp/admin111/login.html" if settings.STAFF_MFA_REQUIRED else None

    def index(self, request, extra_context=None):
        from reports.permissions import CanViewReports

        show_reports = CanViewReports().has_permission(request, None)
        return super().index(request, {"show_reports": show_reports, **(extra_context or {})})

    def password_change(self, request, extra_context=None):
        # Django's view saves the form; whether it did is whether the stored hash changed. As
        # for a password set for someone else (accounts.admin.UserAdmin), the user's API
        # sessions end, audited, in the form's transaction.
        from accounts import services

        with transaction.atomic():
            user = request.user
            before = user.password
            response = super().password_change(request, extra_context)
            if request.method == "POST" and user.password != before:
                services.password_set_by_staff(user=user, by=user)
        return response

    def has_permission(self, request):
        user = request.user
        allowed = bool(user.is_active and (user.is_staff or getattr(user, "is_manager", False)))
        if allowed and settings.STAFF_MFA_REQUIRED:
            # Set by django_otp.middleware.OTPMiddleware: this session passed a second factor.
            return bool(getattr(user, "is_verified", lambda: False)())
        return allowed


class BankAdminConfig(AdminConfig):
    default_site = "bank_project.admin_site.BankAdminSite"


def is_manager(request) -> bool:
    user = request.user
    return bool(user.is_active and getattr(user, "is_manager", False))


class ManagerAdminMixin:
    """Managers (and superusers) may view, add, change and delete; a model admin narrows
    this by overriding the has_*_permission methods (the ledger's are read-only)."""

    # Image URLs typed without a scheme mean https (Django 6's default, already today).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_module_permission(self, request):
        return is_manager(request) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return is_manager(request) or super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args):
        return is_manager(request) or super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return is_manager(request) or super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return is_manager(request) or super().has_delete_permission(request, obj)


def apply_to_each(model_admin, request, queryset, operation, *, done: str, label=str) -> None:
    """Run a service `operation(row)` on each selected row, in primary-key order, each in
    its own transaction (the service's): a refused row is reported and the others go on."""
    succeeded = 0
    for row in queryset.order_by("pk"):
        try:
            operation(row)
        except DomainError as error:
            model_admin.message_user(request, f"{label(row)}: {error.message}", messages.WARNING)
        else:
            succeeded += 1
    if succeeded:
        name = queryset.model._meta.verbose_name if succeeded == 1 else queryset.model._meta.verbose_name_plural
        model_admin.message_user(request, f"{succeeded} {name} {done}.", messages.SUCCESS)


class ReadOnlyAdminMixin:
    """Rows no one edits through the admin (the ledger): view only, for managers."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    """Rows shown under their parent (entries, installments), viewable by managers, never edited."""

    extra = 0
    can_delete = False

    def has_view_permission(self, request, obj=None):
        return is_manager(request) or super().has_view_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
