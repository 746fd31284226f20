from django.contrib import admin

from bank_project.admin_site import ManagerAdminMixin

from .models import Service


@admin.register(Service)
class ServiceAdmin(ManagerAdminMixin, admin.ModelAdmin):
    list_display = ["name", "is_active", "display_order", "updated_at"]
    list_editable = ["is_active", "display_order"]
    list_filter = ["is_active"]
    search_fields = ["name", "description"]
    fields = ["name", "description", "image", "is_active", "display_order", "created_at", "updated_at"]
    readonly_fields = ["created_at", "updated_at"]
