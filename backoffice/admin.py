from django.contrib import admin, messages

from bank_project.admin_site import ManagerAdminMixin, ReadOnlyAdminMixin, is_manager
from bank_project.errors import DomainError

from .models import CloseOfBusinessRun, InterestPosting, LateFee
from .services import close_through


@admin.register(CloseOfBusinessRun)
class CloseOfBusinessRunAdmin(ReadOnlyAdminMixin, ManagerAdminMixin, admin.ModelAdmin):
    list_display = ["business_date", "status", "trigger", "started_at", "finished_at", "error_count"]
    list_filter = ["status", "trigger"]
    date_hierarchy = "business_date"
    readonly_fields = [field.name for field in CloseOfBusinessRun._meta.fields]
    actions = ["rerun_selected"]

    @admin.display(description="errors")
    def error_count(self, run):
        return len(run.errors)

    def has_rerun_permission(self, request):
        return is_manager(request)

    @admin.action(description="Run close of business again for the selected dates", permissions=["rerun"])
    def rerun_selected(self, request, queryset):
        for business_date in sorted(set(queryset.values_list("business_date", flat=True))):
            try:
                runs = close_through(target=business_date, trigger="admin", by=request.user)
            except DomainError as exc:
                self.message_user(request, f"{business_date}: {exc.message}", messages.ERROR)
                continue
            for run in runs:
                level = messages.SUCCESS if run.status == run.Status.COMPLETED else messages.WARNING
                self.message_user(request, f"{run.business_date}: {run.get_status_display()}", level)


@admin.register(InterestPosting)
class InterestPostingAdmin(ReadOnlyAdminMixin, ManagerAdminMixin, admin.ModelAdmin):
    list_display = ["month", "account", "days", "accrued", "amount", "posted_on", "transaction"]
    list_select_related = ["account", "transaction"]
    search_fields = ["=account__account_no"]
    date_hierarchy = "month"


@admin.register(LateFee)
class LateFeeAdmin(ReadOnlyAdminMixin, ManagerAdminMixin, admin.ModelAdmin):
    list_display = ["installment", "amount", "assessed_on", "collected_on", "transaction"]
    list_select_related = ["installment", "transaction"]
    list_filter = ["collected_on"]
