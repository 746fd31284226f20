"""Payments in the admin: read-only (a payment changes only through payments.services, as
the gateway confirms it); managers may ask the gateway again about selected payments."""

from django.contrib import admin, messages

from bank_project.admin_site import ManagerAdminMixin, ReadOnlyAdminMixin, is_manager
from bank_project.errors import DomainError

from . import services
from .models import Payment


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdminMixin, ManagerAdminMixin, admin.ModelAdmin):
    list_display = ["reference", "status", "amount", "currency", "account", "customer", "gateway", "created_at",
                    "completed_at"]
    list_select_related = ["account", "customer__user"]
    list_filter = ["status", "gateway", "created_at", "completed_at"]
    date_hierarchy = "created_at"
    search_fields = ["=reference", "=account__account_no", "customer__user__username", "=gateway_session_id",
                     "=gateway_transaction_id"]
    fields = [
        "reference", "status", "status_detail", "amount", "currency", "description", "customer", "account", "gateway",
        "gateway_session_id", "gateway_transaction_id", "payment_url", "transaction", "risk_level", "risk_title",
        "reviewed_by", "reviewed_at", "created_by", "created_at", "updated_at", "expires_at", "completed_at",
    ]
    readonly_fields = fields
    actions = ["reconcile_selected"]

    def has_reconcile_permission(self, request):
        return is_manager(request)

    @admin.action(description="Ask the gateway again about the selected payments", permissions=["reconcile"])
    def reconcile_selected(self, request, queryset):
        changed = 0
        for payment in queryset.order_by("pk"):
            try:
                result = services.reconcile_one(payment=payment)
            except DomainError as exc:
                self.message_user(request, f"{payment.reference}: {exc.message}", messages.WARNING)
                continue
            if result.status != payment.status:
                changed += 1
                self.message_user(request, f"{payment.reference}: {payment.status} -> {result.status}")
        self.message_user(request, f"{changed} payment(s) changed.", messages.SUCCESS)
