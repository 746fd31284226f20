"""Loans in the Django admin: read-only records; decisions only through loans.services
(the approve and reject actions call the same functions as the API)."""

from django.contrib import admin

from approvals import services as four_eyes
from audit.models import Action
from audit.services import audited
from bank_project.admin_site import ManagerAdminMixin, ReadOnlyAdminMixin, ReadOnlyInline, apply_to_each
from staff.permissions import has_capability

from . import services
from .models import Installment, Loan, Repayment


class InstallmentInline(ReadOnlyInline):
    model = Installment
    fields = ["number", "due_date", "principal", "interest", "principal_paid", "interest_paid", "status", "paid_at"]
    readonly_fields = fields


class RepaymentInline(ReadOnlyInline):
    model = Repayment
    fields = ["created_at", "amount", "principal", "interest", "transaction"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("transaction")


@admin.register(Loan)
class LoanAdmin(ReadOnlyAdminMixin, ManagerAdminMixin, admin.ModelAdmin):
    list_display = ["id", "customer", "amount_requested", "amount_approved", "term_months", "annual_interest_rate",
                    "status", "request_date", "decided_by", "days_past_due", "delinquency_bucket"]
    list_filter = ["status", "delinquency_bucket"]
    search_fields = ["=id", "customer__user__username", "customer__user__last_name", "=account__account_no"]
    list_select_related = ["customer__user", "decided_by"]
    inlines = [InstallmentInline, RepaymentInline]
    actions = ["approve_selected", "reject_selected"]
    readonly_fields = [field.name for field in Loan._meta.fields]

    def has_decide_permission(self, request):
        return has_capability(request.user, "decide_loan")

    @admin.action(description="Approve the selected loans (amount requested, at the loan's rate) and disburse",
                  permissions=["decide"])
    def approve_selected(self, request, queryset):
        def approve(loan):
            # As the API: above FOUR_EYES_LOAN_AMOUNT this files a four-eyes request instead.
            outcome = four_eyes.approve_loan(loan=loan, amount_approved=loan.amount_requested, decided_by=request.user)
            if outcome.pending:
                raise four_eyes.WaitsForApproval(outcome.approval)

        self._decide(request, queryset, approve, "approved and disbursed")

    @admin.action(description="Reject the selected loans", permissions=["decide"])
    def reject_selected(self, request, queryset):
        def reject(loan):
            with audited(Action.LOAN_REJECTED, actor=request.user, target=loan, before={"status": loan.status}) as event:
                rejected = services.reject_loan(loan=loan, decided_by=request.user, reason="Rejected in the admin.")
                event.after = {"status": rejected.status, "reason": rejected.decision_reason}

        self._decide(request, queryset, reject, "rejected")

    def _decide(self, request, queryset, decide, done: str):
        apply_to_each(self, request, queryset, decide, done=done, label=lambda loan: f"Loan #{loan.pk}")

