"""Four-eyes requests in the admin: read-only rows; approve and reject call the same
service as the API (a different staff member, with the capability, once)."""

from django.contrib import admin

from bank_project.admin_site import ReadOnlyAdminMixin, apply_to_each
from staff.permissions import has_capability

from . import services
from .models import ApprovalRequest


@admin.register(ApprovalRequest)
class ApprovalRequestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "action", "summary", "status", "maker", "created_at", "checker", "decided_at"]
    list_filter = ["status", "action"]
    list_select_related = ["maker", "checker"]
    search_fields = ["=id", "summary", "maker__username", "checker__username"]
    readonly_fields = [field.name for field in ApprovalRequest._meta.fields]
    actions = ["approve_selected", "reject_selected"]

    def has_module_permission(self, request):
        return has_capability(request.user, "view_approvals")

    def has_view_permission(self, request, obj=None):
        return has_capability(request.user, "view_approvals")

    def has_check_permission(self, request):
        return has_capability(request.user, "view_approvals")

    @admin.action(description="Approve (and execute) the selected requests", permissions=["check"])
    def approve_selected(self, request, queryset):
        apply_to_each(self, request, queryset, lambda row: services.approve(approval_id=row.pk, checker=request.user),
                      done="approved", label=lambda row: f"Request #{row.pk}")

    @admin.action(description="Reject the selected requests", permissions=["check"])
    def reject_selected(self, request, queryset):
        apply_to_each(
            self, request, queryset,
            lambda row: services.reject(approval_id=row.pk, checker=request.user, reason="Rejected in the admin."),
            done="rejected", label=lambda row: f"Request #{row.pk}",
        )
