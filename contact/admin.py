from django.contrib import admin, messages

from bank_project.admin_site import ManagerAdminMixin, is_manager

from . import services
from .models import ContactMessage


@admin.register(ContactMessage)
class ContactMessageAdmin(ManagerAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "name", "email", "phone", "service", "service_interested", "is_handled",
                    "handled_by"]
    list_select_related = ["service", "handled_by"]
    list_filter = ["is_handled", "service"]
    search_fields = ["name", "email", "phone", "service_interested", "message"]
    fields = ["name", "email", "phone", "service", "service_interested", "message", "created_at", "is_handled", "handled_by", "handled_at"]
    readonly_fields = fields  # what the sender wrote is kept as sent
    actions = ["mark_handled"]

    def has_add_permission(self, request):
        return False  # messages come from the public form

    def has_change_permission(self, request, obj=None):
        return False  # handled through the action, which records who

    def has_handle_permission(self, request):
        return is_manager(request)

    @admin.action(description="Mark the selected messages handled", permissions=["handle"])
    def mark_handled(self, request, queryset):
        handled = 0
        for contact in queryset.filter(is_handled=False).order_by("pk"):
            try:
                services.mark_handled(contact=contact, handled_by=request.user)
            except services.AlreadyHandled:
                continue  # another manager got there first
            handled += 1
        self.message_user(request, f"{handled} message(s) marked handled.", messages.SUCCESS)
