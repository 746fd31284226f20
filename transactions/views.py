from datetime import timedelta

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsCustomer
from approvals import services as staff_actions
from approvals.models import ApprovalRequest
from approvals.responses import PendingApprovalSerializer, pending_response
from approvals.services import submit
from audit.models import Action
from audit.services import audited, record
from bank_project.api.idempotency import IDEMPOTENCY_PARAMETER, run_idempotently
from bank_project.api.mixins import RENDERERS_WITH_CSV, CSVExportMixin
from bank_project.api.pagination import LedgerCursorPagination
from bank_project.api.renderers import JSONRenderer
from bank_project.api.throttling import MoneyMovementThrottle
from mfa.permissions import FreshSecondFactor
from payments import services as payment_services
from payments.responses import PaymentStartedSerializer, payment_started_response
from staff.permissions import HasCapability

from . import selectors, services
from .models import Account, Transaction
from .serializers import (
    AccountSerializer,
    DepositResultSerializer,
    DepositRowSerializer,
    DepositSerializer,
    ReverseSerializer,
    StatementLineSerializer,
    StatementQuerySerializer,
    StatementSerializer,
    TransactionDetailSerializer,
    TransactionRowSerializer,
    TransferResultSerializer,
    TransferRowSerializer,
    TransferSerializer,
    WithdrawalResultSerializer,
    WithdrawalRowSerializer,
    WithdrawalSerializer,
)
from .statement_pdf import PDFRenderer, statement_pdf


class MoneyMovementView(generics.ListCreateAPIView):
    """GET: the caller's history of one kind (manager: everyone's), newest first.
    POST: move money through the ledger service, idempotently when a key is sent."""

    kind: str
    input_serializer_class: type
    result_serializer_class: type
    permission_classes = [IsCustomer | HasCapability("view_transactions")]
    # Who may move money, where that differs from who may read the history.
    post_permission_classes = None
    throttle_classes = [MoneyMovementThrottle]
    throttle_scope = "money"

    def get_permissions(self):
        if self.request.method == "POST" and self.post_permission_classes is not None:
            return [permission() for permission in self.post_permission_classes]
        return super().get_permissions()

    def get_queryset(self):
        return selectors.movements_for(self.request.user, self.kind)

    def create(self, request, *args, **kwargs):
        serializer = self.input_serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        return run_idempotently(request, lambda: self.move(serializer.validated_data))

    def move(self, data) -> Response:
        raise NotImplementedError


def _result(serializer_class, posting, account) -> Response:
    data = serializer_class(posting.transaction).data
    data["balance"] = f"{posting.balance_after(account):.2f}"
    return Response(data, status=status.HTTP_201_CREATED)


@extend_schema(
    parameters=[IDEMPOTENCY_PARAMETER],
    request=DepositSerializer,
    responses={
        201: PolymorphicProxySerializer(
            component_name="DepositAnswer",
            serializers=[PaymentStartedSerializer, DepositResultSerializer],
            resource_type_field_name=None,
        ),
        503: OpenApiResponse(description="A customer's deposit while no payment gateway is configured."),
    },
    description="A customer's deposit is a payment through the gateway: 201 with status `pending` and "
    "`payment_url` (the browser pays there); the account is credited when the gateway's verified "
    "notification arrives. A manager's deposit with `account_no` (cash at the counter) is credited at once "
    "and answers the ledger deposit with the new balance.",
)
class DepositView(MoneyMovementView):
    kind = Transaction.Kind.DEPOSIT
    serializer_class = DepositRowSerializer
    input_serializer_class = DepositSerializer
    # Staff deposit cash at the counter with the teller capability.
    post_permission_classes = [IsCustomer | HasCapability("teller_deposit")]

    def move(self, data):
        user = self.request.user
        account = selectors.deposit_account(user, data.get("account_no"))
        if not (user.is_manager and data.get("account_no")):
            # A customer's deposit is a payment through the gateway, pending until the
            # gateway's verified notification arrives. Only a teller's cash is credited now.
            return self.start_payment(account, data)
        with audited(Action.TELLER_DEPOSIT, actor=user, target=account) as event:
            posting = services.deposit(account=account, amount=data["amount"], performed_by=user,
                                       description=data["description"])
            event.after = {"transaction_id": posting.transaction.pk, "reference": posting.transaction.reference,
                           "amount": data["amount"], "balance": posting.balance_after(account)}
        Transaction.payment.related.set_cached_value(posting.transaction, None)  # a teller deposit: no payment
        return _result(DepositResultSerializer, posting, account)

    def start_payment(self, account, data) -> Response:
        request = self.request
        payment = payment_services.start_payment(
            account=account,
            amount=data["amount"],
            user=request.user,
            description=data["description"],
            callback_base_url=settings.PAYMENT_CALLBACK_BASE_URL or request.build_absolute_uri("/"),
        )
        return payment_started_response(payment)


@extend_schema(parameters=[IDEMPOTENCY_PARAMETER], request=WithdrawalSerializer, responses={201: WithdrawalResultSerializer})
class WithdrawalView(MoneyMovementView):
    kind = Transaction.Kind.WITHDRAWAL
    serializer_class = WithdrawalRowSerializer
    input_serializer_class = WithdrawalSerializer
    post_permission_classes = [IsCustomer]

    def move(self, data):
        account = selectors.own_account(self.request.user)
        posting = services.withdraw(
            account=account, amount=data["amount"], performed_by=self.request.user, description=data["description"]
        )
        return _result(WithdrawalResultSerializer, posting, account)


@extend_schema(parameters=[IDEMPOTENCY_PARAMETER], request=TransferSerializer, responses={201: TransferResultSerializer})
class BalanceTransferView(MoneyMovementView):
    kind = Transaction.Kind.TRANSFER
    serializer_class = TransferRowSerializer
    input_serializer_class = TransferSerializer
    post_permission_classes = [IsCustomer]

    def move(self, data):
        account = selectors.own_account(self.request.user)
        posting = services.transfer(
            source=account,
            recipient_account_no=data["recipient_account_no"],
            amount=data["amount"],
            performed_by=self.request.user,
            description=data["description"],
        )
        return _result(TransferResultSerializer, posting, account)


class TransactionListView(CSVExportMixin, generics.ListAPIView):
    """Every transaction (a customer: those touching their account), newest first.
    Filter by kind, account, customer, date and amount range; search by reference,
    account number or description; `?format=csv` to export."""

    serializer_class = TransactionRowSerializer
    permission_classes = [IsCustomer | HasCapability("view_transactions")]
    pagination_class = LedgerCursorPagination
    filterset_class = selectors.TransactionFilter
    search_fields = ["=reference", "=source__account_no", "=destination__account_no", "description"]
    csv_filename = "transactions.csv"

    def get_queryset(self):
        return selectors.transaction_rows_for(self.request.user)


class TransactionDetailView(generics.RetrieveAPIView):
    serializer_class = TransactionDetailSerializer
    permission_classes = [IsCustomer | HasCapability("view_transactions")]

    def get_queryset(self):
        return selectors.transactions_for(self.request.user).prefetch_related("entries__account")


class ReverseTransactionView(APIView):
    """Four eyes (FOUR_EYES_ENABLED): 202 and a request a different staff member approves at
    /api/approvals/<id>/approve/; without four eyes the reversal posts at once (201)."""

    permission_classes = [HasCapability("reverse_transaction"), FreshSecondFactor]

    @extend_schema(request=ReverseSerializer,
                   responses={201: TransactionDetailSerializer, 202: PendingApprovalSerializer})
    def post(self, request, pk):
        serializer = ReverseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        original = get_object_or_404(Transaction, pk=pk)
        reason = serializer.validated_data["reason"]
        outcome = submit(action=ApprovalRequest.Action.REVERSE_TRANSACTION, maker=request.user, target=original,
                         payload={"reason": reason}, summary=f"Reverse {original.reference} ({original.amount}): {reason}")
        if outcome.pending:
            return pending_response(outcome.approval)
        reversal = selectors.transactions_for(request.user).prefetch_related("entries__account").get(
            pk=outcome.result["transaction_id"])
        return Response(TransactionDetailSerializer(reversal).data, status=status.HTTP_201_CREATED)


class AccountListView(generics.ListAPIView):
    """A manager: every account, filterable by kind and status; a customer: their own."""

    serializer_class = AccountSerializer
    permission_classes = [IsCustomer | HasCapability("view_customers")]
    filterset_fields = ["kind", "status"]
    search_fields = ["=account_no", "customer__user__username", "customer__user__last_name"]

    def get_queryset(self):
        return selectors.accounts_for(self.request.user)


class AccountDetailView(generics.RetrieveAPIView):
    serializer_class = AccountSerializer
    permission_classes = [IsCustomer | HasCapability("view_customers")]
    lookup_field = "account_no"

    def get_queryset(self):
        return selectors.accounts_for(self.request.user)


def _account_response(request, account) -> Response:
    return Response(AccountSerializer(selectors.accounts_for(request.user).get(pk=account.pk)).data)


class FreezeAccountView(APIView):
    """Freeze a customer account: it can neither send nor receive money until unfrozen."""

    permission_classes = [HasCapability("freeze_account"), FreshSecondFactor]

    @extend_schema(request=None, responses={200: AccountSerializer})
    def post(self, request, account_no):
        account = get_object_or_404(Account, account_no=account_no)
        return _account_response(request, staff_actions.freeze_account(account=account, performed_by=request.user))


class UnfreezeAccountView(APIView):
    """Four eyes (FOUR_EYES_ENABLED): 202 and a request a different staff member approves."""

    permission_classes = [HasCapability("unfreeze_account"), FreshSecondFactor]

    @extend_schema(request=None, responses={200: AccountSerializer, 202: PendingApprovalSerializer})
    def post(self, request, account_no):
        account = get_object_or_404(Account, account_no=account_no)
        outcome = staff_actions.unfreeze_account(account=account, maker=request.user)
        if outcome.pending:
            return pending_response(outcome.approval)
        return _account_response(request, account)


class StatementView(APIView):
    """The caller's account statement (a manager: any account, by `account_no`):
    entries with running balance, opening and closing balance. `?format=csv` for CSV,
    `?format=pdf` for a printable PDF (with a chart of the balance; at most
    STATEMENT_PDF_MAX_LINES entries, a longer period is refused)."""

    permission_classes = [IsCustomer | HasCapability("view_customers")]
    renderer_classes = [*RENDERERS_WITH_CSV, PDFRenderer]
    csv_header = list(StatementLineSerializer._declared_fields)  # for a CSV with no lines

    @extend_schema(
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="First day (inclusive); default 30 days ago."),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Last day (inclusive); default today."),
            OpenApiParameter("account_no", OpenApiTypes.STR, description="Managers: the account to report on."),
        ],
        responses={
            (200, "application/json"): StatementSerializer,
            (200, "text/csv"): OpenApiTypes.STR,
            (200, "application/pdf"): OpenApiTypes.BINARY,
        },
    )
    def get(self, request):
        query = StatementQuerySerializer(
            data={
                key: request.query_params[param]
                for key, param in (("date_from", "from"), ("date_to", "to"), ("account_no", "account_no"))
                if param in request.query_params
            }
        )
        query.is_valid(raise_exception=True)
        today = timezone.localdate()
        date_to = query.validated_data.get("date_to", today)
        date_from = query.validated_data.get("date_from", date_to - timedelta(days=30))
        if date_from > date_to:
            raise ValidationError({"from": ["The start date is after the end date."]})
        account = selectors.statement_account(request.user, query.validated_data.get("account_no"))
        pdf = request.accepted_renderer.format == "pdf"
        max_lines = settings.STATEMENT_PDF_MAX_LINES if pdf else settings.CSV_EXPORT_MAX_ROWS
        report = selectors.statement(account=account, date_from=date_from, date_to=date_to, max_lines=max_lines)
        if pdf and report["truncated"]:
            # A printed statement that silently stops would mislead: ask for a shorter period.
            raise ValidationError({"from": [f"This period has more than {max_lines} entries, more than a PDF "
                                            "statement holds; choose a shorter period."]})
        if request.user.is_manager:
            record(Action.STATEMENT_VIEWED, actor=request.user, target=account,
                   after={"from": date_from, "to": date_to, "format": request.accepted_renderer.format})
        if pdf:
            response = Response(statement_pdf(report=report, account=account))
            response["Content-Disposition"] = (
                f'attachment; filename="statement-{account.account_no}-{date_from}-{date_to}.pdf"'
            )
            return response
        if request.accepted_renderer.format == "csv":
            response = Response(StatementSerializer(report).data["entries"])
            response["Content-Disposition"] = f'attachment; filename="statement-{account.account_no}.csv"'
            return response
        return Response(StatementSerializer(report).data)

    def handle_exception(self, exc):
        # Errors are JSON, also when a PDF was asked for.
        if getattr(self.request, "accepted_renderer", None) and self.request.accepted_renderer.format == "pdf":
            self.request.accepted_renderer, self.request.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
        return super().handle_exception(exc)
