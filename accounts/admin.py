from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.db import transaction

from bank_project.admin_site import ManagerAdminMixin, apply_to_each, is_manager

from . import services
from .models import Customer, Manager, ManagerApplication, User


# Users (and with them is_staff / is_superuser) stay with superusers: a manager must not be
# able to make anyone, themselves included, a superuser.
@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    def user_change_password(self, request, id, form_url=""):
        # Django's view saves the form; whether it did is whether the stored hash changed
        # (every save salts anew, the same password too). The new password, its audit row
        # and the end of the user's sessions commit together or not at all.
        with transaction.atomic():
            user = self.get_object(request, unquote(id)) if request.method == "POST" else None
            before = user.password if user is not None else None
            response = super().user_change_password(request, id, form_url)
            if user is not None:
                user.refresh_from_db(fields=["password"])
                if user.password != before:
                    services.password_set_by_staff(user=user, by=request.user)
        return response


@admin.register(Customer)
class CustomerAdmin(ManagerAdminMixin, admin.ModelAdmin):
    list_display = ["id", "username", "full_name", "account_no", "balance", "account_type", "mobile_no", "created_at"]
    list_select_related = ["user", "account"]
    list_filter = ["account_type"]
    search_fields = [
        "user__username", "user__first_name", "user__last_name", "user__email", "nid", "mobile_no",
        "=account__account_no",
    ]
    fields = [
        "user", "account_no", "balance", "mobile_no", "nid", "image", "age", "religion", "occupation",
        "monthly_income", "account_type", "created_at",
    ]
    readonly_fields = ["user", "account_no", "balance", "created_at"]

    @admin.display(ordering="user__username")
    def username(self, customer):
        return customer.user.username

    @admin.display(description="name")
    def full_name(self, customer):
        return customer.user.get_full_name()

    @admin.display(ordering="account__account_no", description="account number")
    def account_no(self, customer):
        account = getattr(customer, "account", None)
        return account.account_no if account else "-"

    @admin.display(ordering="account__balance")
    def balance(self, customer):
        account = getattr(customer, "account", None)
        return f"{account.balance} {account.currency}" if account else "-"

    # Customers sign up through the API, which opens their account in the same transaction;
    # their profile holds the ledger's history, so it is never deleted.
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ManagerCreationForm(forms.ModelForm):
    image = forms.URLField(max_length=500, required=False, assume_scheme="https")

    class Meta:
        model = Manager
        fields = ["user", "mobile_no", "nid", "image", "age", "religion"]

    def clean_user(self):
        user = self.cleaned_data["user"]
        if Customer.objects.filter(user=user).exists() or Manager.objects.filter(user=user).exists():
            raise ValidationError("This user already has a customer or manager profile.")
        return user


@admin.register(Manager)
class ManagerAdmin(ManagerAdminMixin, admin.ModelAdmin):
    list_display = ["id", "username", "full_name", "mobile_no", "created_at"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "user__email", "nid", "mobile_no"]
    readonly_fields = ["created_at"]

    @admin.display(ordering="user__username")
    def username(self, manager):
        return manager.user.username

    @admin.display(description="name")
    def full_name(self, manager):
        return manager.user.get_full_name()

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ManagerCreationForm
        return super().get_form(request, obj, change=change, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            # Only users with no profile yet can become managers; the list stays short.
            kwargs["queryset"] = User.objects.filter(customer__isnull=True, manager__isnull=True).order_by("username")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return ["user", "created_at"] if obj else ["created_at"]

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        # A new manager goes through the same service as POST /api/manager/.
        profile = {field: form.cleaned_data[field] for field in ManagerCreationForm.Meta.fields if field != "user"}
        created = services.create_manager(user=form.cleaned_data["user"], **profile)
        obj.pk, obj.created_at = created.pk, created.created_at
        obj._state.adding = False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ManagerApplication)
class ManagerApplicationAdmin(ManagerAdminMixin, admin.ModelAdmin):
    """Managers approve or reject applications here as through the API (the same services)."""

    list_display = ["id", "user", "nid", "status", "created_at", "decided_by", "decided_at"]
    list_select_related = ["user", "decided_by"]
    list_filter = ["status"]
    search_fields = ["user__username", "nid"]
    readonly_fields = ["user", "mobile_no", "nid", "image", "age", "religion", "status", "created_at",
                       "decided_by", "decided_at", "decision_reason"]
    fields = readonly_fields
    actions = ["approve", "reject"]

    def has_add_permission(self, request):
        return False  # applications come from the manager form

    def has_change_permission(self, request, obj=None):
        return False  # decided through the actions, which record who

    def has_decide_permission(self, request):
        return is_manager(request)

    def _decide(self, request, queryset, decide, done):
        def operation(application):
            try:
                decide(application=application, decided_by=request.user)
            except ValidationError as exc:  # e.g. the NID is a profile's by now
                raise services.CannotApply("; ".join(exc.messages)) from exc

        apply_to_each(self, request, queryset, operation, done=done,
                      label=lambda application: f"Application #{application.pk}")

    @admin.action(description="Approve the selected applications (creates the managers)", permissions=["decide"])
    def approve(self, request, queryset):
        self._decide(request, queryset, services.approve_manager_application, "approved")

    @admin.action(description="Reject the selected applications", permissions=["decide"])
    def reject(self, request, queryset):
        self._decide(request, queryset, services.reject_manager_application, "rejected")
