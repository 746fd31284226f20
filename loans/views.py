"""The loans API: thin views that parse, call loans/services.py and serialize.

Every queryset is scoped to the caller (loans_for): another customer's loan is a 404.
"""

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsCustomer
from approvals import services as four_eyes
from approvals.responses import PendingApprovalSerializer, pending_response
from audit.models import Action
from audit.services import audited
from bank_project.api.idempotency import IDEMPOTENCY_PARAMETER, run_idempotently
from bank_project.api.throttling import MoneyMovementThrottle
from mfa.services import require_fresh_factor
from staff.permissions import HasCapability

from . import selectors, services
from .serializers import (
    ApproveLoanSerializer,
    LoanDetailSerializer,
    LoanPreviewQuerySerializer,
    LoanPreviewSerializer,
    LoanRequestSerializer,
    LoanSerializer,
    RejectLoanSerializer,
    RepayLoanSerializer,
    RepaymentSerializer,
    RepayResultSerializer,
)


def _loan_data(request, loan) -> dict:
    """The loan as the caller sees it now, schedule included (read back through the scoped selector)."""
    loan = selectors.loan_details_for(request.user).get(pk=loan.pk)
    return LoanDetailSerializer(loan, context={"request": request, "today": timezone.localdate()}).data


def _detail(request, loan, status_code=status.HTTP_200_OK) -> Response:
    return Response(_loan_data(request, loan), status=status_code)


class LoanListCreateView(generics.ListCreateAPIView):
    """GET: the caller's loans (a manager: everyone's), newest first, `?status=` to filter.
    POST (customers): request a loan; it waits, pending, for a manager's decision."""

    serializer_class = LoanSerializer
    filterset_class = selectors.LoanFilter
    throttle_classes = [MoneyMovementThrottle]
    throttle_scope = "money"

    def get_permissions(self):
        if self.request.method == "POST":
            return [IsCustomer()]
        return [(IsCustomer | HasCapability("view_loans"))()]

    def get_queryset(self):
        return selectors.loans_for(self.request.user)

    @extend_schema(parameters=[IDEMPOTENCY_PARAMETER], request=LoanRequestSerializer,
                   responses={201: LoanDetailSerializer})
    def post(self, request, *args, **kwargs):
        serializer = LoanRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)

        def request_loan():
            loan = services.request_loan(customer=request.user.customer, **serializer.validated_data)
            return _detail(request, loan, status.HTTP_201_CREATED)

        return run_idempotently(request, request_loan)


class LoanPreviewView(APIView):
    """The schedule a loan of `amount` over `term_months` would have if approved today at
    today's rate. Nothing is stored."""

    permission_classes = [IsCustomer | HasCapability("view_loans")]

    @extend_schema(parameters=[LoanPreviewQuerySerializer], responses={200: LoanPreviewSerializer})
    def get(self, request):
        query = LoanPreviewQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        preview = services.preview_schedule(**query.validated_data)
        return Response(LoanPreviewSerializer(preview).data)


class LoanDetailView(generics.RetrieveAPIView):
    """One loan with its schedule: installments past due and not fully paid show as `overdue`."""

    serializer_class = LoanDetailSerializer
    permission_classes = [IsCustomer | HasCapability("view_loans")]

    def get_queryset(self):
        return selectors.loan_details_for(self.request.user)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": timezone.localdate()}


class _LoanActionView(APIView):
    """A POST on one loan the caller can see (anything else is a 404)."""

    def get_loan(self, pk):
        return get_object_or_404(selectors.loans_for(self.request.user), pk=pk)


class ApproveLoanView(_LoanActionView):
    """Staff who decide loans: approve, disburse `amount_approved` into the customer's account
    and fix the schedule, in one database transaction. A loan is decided once (409 after that).
    Above FOUR_EYES_LOAN_AMOUNT: 202 and a request a second staff member (`decide_large_loan`)
    approves; that also needs a fresh second factor when STAFF_MFA_REQUIRED."""

    permission_classes = [HasCapability("decide_loan")]

    @extend_schema(parameters=[IDEMPOTENCY_PARAMETER], request=ApproveLoanSerializer,
                   responses={200: LoanDetailSerializer, 202: PendingApprovalSerializer})
    def post(self, request, pk):
        serializer = ApproveLoanSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        loan = self.get_loan(pk)
        if four_eyes.is_large_loan(serializer.validated_data["amount_approved"]):
            require_fresh_factor(request)

        def approve():
            outcome = four_eyes.approve_loan(loan=loan, decided_by=request.user, **serializer.validated_data)
            if outcome.pending:
                return pending_response(outcome.approval)
            return _detail(request, loan)

        return run_idempotently(request, approve)


class RejectLoanView(_LoanActionView):
    """Managers: reject a pending loan, with an optional reason."""

    permission_classes = [HasCapability("decide_loan")]

    @extend_schema(request=RejectLoanSerializer, responses={200: LoanDetailSerializer})
    def post(self, request, pk):
        serializer = RejectLoanSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        loan = self.get_loan(pk)
        with audited(Action.LOAN_REJECTED, actor=request.user, target=loan, before={"status": loan.status}) as event:
            loan = services.reject_loan(loan=loan, decided_by=request.user, **serializer.validated_data)
            event.after = {"status": loan.status, "reason": loan.decision_reason}
        return _detail(request, loan)


class CancelLoanView(_LoanActionView):
    """The customer withdraws their own loan request while it is pending."""

    permission_classes = [IsCustomer]

    @extend_schema(request=None, responses={200: LoanDetailSerializer})
    def post(self, request, pk):
        loan = services.cancel_loan(loan=self.get_loan(pk), cancelled_by=request.user)
        return _detail(request, loan)


class RepayLoanView(_LoanActionView):
    """The owning customer repays from their account: interest due, then principal, oldest
    installment first. Partial and early repayments are fine; more than is outstanding is not."""

    permission_classes = [IsCustomer]
    throttle_classes = [MoneyMovementThrottle]
    throttle_scope = "money"

    @extend_schema(parameters=[IDEMPOTENCY_PARAMETER], request=RepayLoanSerializer,
                   responses={200: RepayResultSerializer})
    def post(self, request, pk):
        serializer = RepayLoanSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        loan = self.get_loan(pk)

        def repay():
            result = services.repay_loan(loan=loan, performed_by=request.user, **serializer.validated_data)
            data = _loan_data(request, loan)
            data["repayment"] = RepaymentSerializer(result.repayment).data
            data["balance"] = f"{result.balance_after:.2f}"
            return Response(data)

        return run_idempotently(request, repay)
