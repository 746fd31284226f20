"""Forms of the admin site (kept apart from admin_site.py, which is imported while the
app registry is still loading and so cannot import django.contrib.auth.forms)."""

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django_otp.admin import OTPAdminAuthenticationForm


class ManagerAuthenticationForm(AdminAuthenticationForm):
    """The admin's login form, opened to managers: Django's own refuses every user who is
    not `is_staff`, so a manager could reach the admin only through a session made elsewhere."""

    def confirm_login_allowed(self, user):
        AuthenticationForm.confirm_login_allowed(self, user)  # inactive users stay out
        if not (user.is_staff or getattr(user, "is_manager", False)):
            raise ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )


class ManagerOTPAuthenticationForm(OTPAdminAuthenticationForm):
    """The same, plus django-otp's code field (TOTP or a recovery code) for
    STAFF_MFA_REQUIRED: the session counts as verified only after a valid code."""

    confirm_login_allowed = ManagerAuthenticationForm.confirm_login_allowed
