"""The ledger in the admin: read-only for everyone. Money and statuses change only through
transactions.services (the freeze/unfreeze actions call it); history is never edited."""

from django.contrib import admin

from approvals import services as staff_actions
from bank_project.admin_site import ManagerAdminMixin, ReadOnlyAdminMixin, ReadOnlyInline, apply_to_each
from staff.permissions import has_capability

from .models import Account, Entry, Transaction


@admin.register(Account)
class AccountAdmin(ReadOnlyAdminMixin, ManagerAdminMixin, admin.ModelAdmin):
    list_display = ["account_no", "kind", "owner", "balance", "currency", "status", "opened_at"]
    list_select_related = ["customer__user"]
    list_filter = ["kind", "status", "currency"]
    search_fields = [
        "=account_no", "code", "name", "customer__user__username", "customer__user__first_name",
        "customer__user__last_name",
    ]
    fields = ["account_no", "kind", "customer", "code", "name", "currency", "balance", "status", "opened_at"]
    readonly_fields = fields
    actions = ["freeze_accounts", "unfreeze_accounts"]

    @admin.display(description="owner")
    def owner(self, account):
        if account.customer_id:
            return account.customer.user.get_full_name() or account.customer.user.username
        return account.name or account.code

    def has_freeze_permission(self, request):
        return has_capability(request.user, "freeze_account")

    def has_unfreeze_permission(self, request):
        return has_capability(request.user, "unfreeze_account")

    @admin.action(description="Freeze the selected accounts", permissions=["freeze"])
    def freeze_accounts(self, request, queryset):
        apply_to_each(self, request, queryset,
                      lambda account: staff_actions.freeze_account(account=account, performed_by=request.user),
                      done="frozen", label=lambda account: account.account_no)

    @admin.action(description="Unfreeze the selected accounts (four eyes: a second manager approves)",
                  permissions=["unfreeze"])
    def unfreeze_accounts(self, request, queryset):
        def unfreeze(account):
            outcome = staff_actions.unfreeze_account(account=account, maker=request.user)
            if outcome.pending:
                raise staff_actions.WaitsForApproval(outcome.approval)

        apply_to_each(self, request, queryset, unfreeze, done="unfrozen", label=lambda account: account.account_no)


class EntryInline(ReadOnlyInline):
    model = Entry
    fields = ["account", "amount", "balance_after"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("account")


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdminMixin, ManagerAdminMixin, admin.ModelAdmin):
    list_display = ["reference", "kind", "amount", "currency", "source", "destination", "performed_by", "created_at"]
    list_select_related = ["source", "destination", "performed_by"]
    list_filter = ["kind", "created_at"]
    date_hierarchy = "created_at"
    search_fields = ["=reference", "=source__account_no", "=destination__account_no", "description"]
    fields = [
        "reference", "kind", "amount", "currency", "source", "destination", "description", "performed_by",
        "created_at", "reverses",
    ]
    readonly_fields = fields
    inlines = [EntryInline]
    show_full_result_count = False  # no second COUNT(*) over the whole ledger per page


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdminMixin, ManagerAdminMixin, admin.ModelAdmin):
    list_display = ["id", "transaction", "account", "amount", "balance_after"]
    list_select_related = ["transaction", "account"]
    search_fields = ["=transaction__reference", "=account__account_no"]
    fields = ["transaction", "account", "amount", "balance_after"]
    readonly_fields = fields
    show_full_result_count = False
