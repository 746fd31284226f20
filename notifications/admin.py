from django.contrib import admin

from bank_project.admin_site import ManagerAdminMixin, ReadOnlyAdminMixin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, ManagerAdminMixin, admin.ModelAdmin):
    """Read-only: the outbox is written by the services and emptied by the worker."""

    list_display = ["id", "user", "kind", "subject", "email_status", "email_attempts", "created_at", "emailed_at"]
    list_filter = ["kind", "email_status"]
    search_fields = ["user__username", "event", "subject"]
    list_select_related = ["user"]
    readonly_fields = [f.name for f in Notification._meta.fields]
