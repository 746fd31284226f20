from django.contrib import admin

from bank_project.admin_site import ReadOnlyAdminMixin
from staff.permissions import has_capability

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only, for staff whose role may read the audit trail."""

    list_display = ["at", "actor_username", "action", "target_type", "target_id", "ip", "request_id"]
    list_filter = ["action"]
    search_fields = ["actor_username", "=target_id", "=request_id", "=ip"]
    date_hierarchy = "at"
    readonly_fields = [field.name for field in AuditEvent._meta.fields]
    show_full_result_count = False

    def has_module_permission(self, request):
        return has_capability(request.user, "read_audit")

    def has_view_permission(self, request, obj=None):
        return has_capability(request.user, "read_audit")
