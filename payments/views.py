"""Payments over HTTP: the customer's and manager's reads, the gateways' notifications, the
browser's returns from a gateway, and the sandbox's checkout page.

Notifications and returns come from outside (a gateway's servers, a browser on its way back)
and carry no login: a notification is trusted only once its gateway has verified it, and a
return only redirects, whatever it carries.
"""

import logging
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.views import View
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsCustomer, IsManager
from bank_project.api.renderers import JSONParser
from bank_project.errors import DomainError
from mfa.permissions import FreshSecondFactor
from staff.permissions import HasCapability

from . import selectors, services
from .gateways import CANCELLED, FAILED, SUCCESS, configured_gateway_name, gateway_named
from .models import Payment
from .serializers import (
    NotificationResultSerializer,
    PaymentSerializer,
    RefusePaymentSerializer,
    ReleasePaymentSerializer,
    SandboxNotificationSerializer,
)

logger = logging.getLogger("bank.payments")

# Where the web client shows each outcome (CLIENT.md).
FRONTEND_PAGES = {
    SUCCESS: ("/transaction", "success"),
    FAILED: ("/fail", "failed"),
    CANCELLED: ("/cancel", "cancelled"),
}


def frontend_redirect(outcome: str) -> HttpResponseRedirect:
    page, status = FRONTEND_PAGES[outcome]
    return HttpResponseRedirect(f"{settings.FRONTEND_URL}{page}?{urlencode({'status': status})}")


def _require_gateway(name: str) -> None:
    # A gateway's endpoints answer only while it is the configured one: the sandbox's page
    # and notifications must not exist on a server that takes real payments.
    if configured_gateway_name() != name:
        raise Http404()


class PaymentListView(generics.ListAPIView):
    """Payments: a customer's own, a manager's all; filter by status, gateway, dates, account."""

    serializer_class = PaymentSerializer
    permission_classes = [IsCustomer | IsManager]
    filterset_class = selectors.PaymentFilter
    search_fields = ["=reference", "=account__account_no", "customer__user__username"]

    def get_queryset(self):
        return selectors.payments_for(self.request.user)


class PaymentDetailView(generics.RetrieveAPIView):
    serializer_class = PaymentSerializer
    permission_classes = [IsCustomer | IsManager]

    def get_queryset(self):
        return selectors.payments_for(self.request.user)


class _ReviewView(APIView):
    """Staff deciding on a payment held as high risk: the capability, and a fresh second
    factor (it credits money the gateway warned about, or turns a paid deposit away)."""

    permission_classes = [HasCapability("review_payments"), FreshSecondFactor]

    def _answer(self, request, payment) -> Response:
        payment = selectors.payments_for(request.user).get(pk=payment.pk)
        return Response(PaymentSerializer(payment, context={"request": request}).data)


class ReleasePaymentView(_ReviewView):
    """Credit a held payment through the ledger, once (a repeated or concurrent release
    answers the released payment; nothing more is credited). 409 unless it is held."""

    @extend_schema(request=ReleasePaymentSerializer, responses={200: PaymentSerializer})
    def post(self, request, pk):
        serializer = ReleasePaymentSerializer(data=request.data or {})
        serializer.is_valid(raise_exception=True)
        payment = services.release_held(payment_id=pk, by=request.user, note=serializer.validated_data["note"])
        return self._answer(request, payment)


class RefusePaymentView(_ReviewView):
    """Refuse a held payment: never credited; the money goes back to the payer at the gateway.
    A repeated refusal answers the refused payment. 409 unless it is held."""

    @extend_schema(request=RefusePaymentSerializer, responses={200: PaymentSerializer})
    def post(self, request, pk):
        serializer = RefusePaymentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        payment = services.refuse_held(payment_id=pk, by=request.user, reason=serializer.validated_data["reason"])
        return self._answer(request, payment)


class _GatewayEndpoint(APIView):
    """Called by a gateway's servers or a browser: no login, no CSRF (no session auth)."""

    authentication_classes = []
    permission_classes = [AllowAny]
    parser_classes = [FormParser, MultiPartParser, JSONParser]
    gateway_name: str


class _NotificationView(_GatewayEndpoint):
    def post(self, request):
        _require_gateway(self.gateway_name)
        payment = services.handle_notification(gateway_name=self.gateway_name, data=request.data)
        return Response({"reference": payment.reference, "status": payment.status})


@extend_schema(
    request=SandboxNotificationSerializer,
    responses={200: NotificationResultSerializer},
    description="The sandbox gateway's signed notification (its checkout page sends the same one in-process). "
    "Forged signature: 403; unknown payment: 404; amount or currency mismatch: 400. Only while "
    "PAYMENT_GATEWAY=sandbox.",
)
class SandboxNotifyView(_NotificationView):
    gateway_name = "sandbox"


@extend_schema(
    request={"application/x-www-form-urlencoded": OpenApiTypes.OBJECT},
    responses={200: NotificationResultSerializer},
    description="SSLCommerz's IPN (form POST). Its verify_sign is checked, then a VALID one is confirmed "
    "through SSLCommerz's validation API before anything is credited. Only while PAYMENT_GATEWAY=sslcommerz.",
)
class SSLCommerzIPNView(_NotificationView):
    gateway_name = "sslcommerz"


class SSLCommerzReturnView(_GatewayEndpoint):
    """The browser's return from SSLCommerz's page: redirected to the web client. It credits
    nothing (the IPN and reconcile_payments do, verified)."""

    gateway_name = "sslcommerz"
    outcome: str = SUCCESS

    @extend_schema(request=None, responses={302: OpenApiResponse(description="To FRONTEND_URL's result page.")})
    def get(self, request):
        return self._return(request)

    @extend_schema(request=None, responses={302: OpenApiResponse(description="To FRONTEND_URL's result page.")})
    def post(self, request):
        return self._return(request)

    def _return(self, request):
        _require_gateway(self.gateway_name)
        reference = str(request.data.get("tran_id") or request.query_params.get("tran_id") or "")[:30]
        logger.info("sslcommerz %s return for %r (browser; nothing credited)", self.outcome, reference)
        return frontend_redirect(self.outcome)


class SandboxCheckoutView(View):
    """The sandbox's stand-in for a gateway's hosted checkout page (HTML, no login: the
    unguessable session id in the URL is the key, as at a real gateway)."""

    outcomes = {"success": SUCCESS, "fail": FAILED, "cancel": CANCELLED}
    status_outcome = {
        Payment.Status.COMPLETED: SUCCESS,
        Payment.Status.FAILED: FAILED,
        Payment.Status.CANCELLED: CANCELLED,
        Payment.Status.EXPIRED: FAILED,
        Payment.Status.PENDING: FAILED,
        Payment.Status.HELD: SUCCESS,  # paid; the bank reviews it before crediting
        Payment.Status.REFUSED: FAILED,
    }

    def _payment(self, session_id):
        _require_gateway("sandbox")
        return get_object_or_404(
            Payment.objects.select_related("account"), gateway="sandbox", gateway_session_id=session_id
        )

    def get(self, request, session_id):
        return self._page(request, self._payment(session_id))

    def post(self, request, session_id):
        payment = self._payment(session_id)
        outcome = self.outcomes.get(request.POST.get("outcome", ""))
        if outcome is None:
            return self._page(request, payment, error="Choose Pay, Fail or Cancel.", status=400)
        gateway = gateway_named("sandbox")
        try:
            payment = services.handle_notification(
                gateway_name="sandbox", data=gateway.notification_for(payment, outcome)
            )
        except DomainError as exc:
            return self._page(request, payment, error=exc.message, status=exc.status_code)
        return frontend_redirect(self.status_outcome[payment.status])

    def _page(self, request, payment, *, error="", status=200):
        return render(request, "payments/sandbox_checkout.html", {
            "payment": payment,
            "amount": f"{payment.amount:,.2f}",
            "error": error,
            "payable": payment.status in (Payment.Status.PENDING, Payment.Status.EXPIRED),
        }, status=status)
