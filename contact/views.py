from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from bank_project.api.mixins import CSVExportMixin
from bank_project.api.throttling import IPScopedRateThrottle
from staff.permissions import HasCapability

from . import selectors, services
from .serializers import ContactMessageCreateSerializer, ContactMessageSerializer


@extend_schema_view(
    get=extend_schema(summary="List contact messages (managers only)", responses=ContactMessageSerializer),
    post=extend_schema(
        summary="Send a message to the bank",
        description="Public. Throttled per client IP (THROTTLE_CONTACT, 10 a minute by default): 429 past it.",
        request=ContactMessageCreateSerializer,
        responses={201: ContactMessageCreateSerializer},
        auth=[{"jwtAuth": []}, {}],
    ),
)
class ContactMessageListCreateView(CSVExportMixin, generics.ListCreateAPIView):
    """Managers: the messages, newest first; `?format=csv` exports them."""

    csv_filename = "contact-messages.csv"
    filterset_fields = ["is_handled", "service"]
    search_fields = ["name", "email", "service_interested", "message"]
    throttle_scope = "contact"

    def get_permissions(self):
        if self.request.method == "POST":
            return [AllowAny()]
        return [HasCapability("view_contact_messages")()]

    def get_throttles(self):
        if self.request.method == "POST":
            # Per IP even for logged-in callers: one person cannot flood the inbox by logging in.
            return [IPScopedRateThrottle()]
        return super().get_throttles()

    def get_serializer_class(self):
        if self.request.method == "POST":
            return ContactMessageCreateSerializer
        return ContactMessageSerializer

    def get_queryset(self):
        return selectors.contact_messages()

    def perform_create(self, serializer):
        serializer.instance = services.submit_message(**serializer.validated_data)


@extend_schema(summary="One contact message (managers only)")
class ContactMessageDetailView(generics.RetrieveAPIView):
    serializer_class = ContactMessageSerializer
    permission_classes = [HasCapability("view_contact_messages")]

    def get_queryset(self):
        return selectors.contact_messages()


class HandleContactMessageView(APIView):
    permission_classes = [HasCapability("handle_contact_messages")]

    @extend_schema(
        summary="Mark a contact message handled (managers only)",
        description="Records who handled it and when. A message is handled once: again is 409.",
        request=None,
        responses={200: ContactMessageSerializer},
    )
    def post(self, request, pk):
        contact = get_object_or_404(selectors.contact_messages(), pk=pk)
        contact = services.mark_handled(contact=contact, handled_by=request.user)
        contact = selectors.contact_messages().get(pk=contact.pk)
        return Response(ContactMessageSerializer(contact).data, status=status.HTTP_200_OK)
