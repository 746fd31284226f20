from django.contrib import admin

from bank_project.admin_site import ManagerAdminMixin

from .models import Session


@admin.register(Session)
class SessionAdmin(ManagerAdminMixin, admin.ModelAdmin):
    list_display = ["id", "user", "created_at", "last_used_at", "ip", "ended_at", "ended_reason"]
    list_select_related = ["user"]
    list_filter = ["ended_reason"]
    search_fields = ["user__username", "=ip"]
    readonly_fields = ["user", "created_at", "last_used_at", "ip", "user_agent", "ended_at", "ended_reason", "ended_by"]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False  # sessions open by logging in

    def has_change_permission(self, request, obj=None):
        return False  # ended through the API (POST /api/sessions/<id>/end/)
