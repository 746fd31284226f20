import django_filters
from django import forms
from rest_framework import generics, serializers

from bank_project.api.mixins import CSVExportMixin
from bank_project.api.pagination import LedgerCursorPagination
from staff.permissions import HasCapability

from .models import AuditEvent


class AuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = ["id", "at", "actor", "actor_username", "action", "target_type", "target_id", "ip", "request_id",
                  "before", "after"]
        read_only_fields = fields


class IPAddressFilter(django_filters.Filter):
    """Validated as an address (400 otherwise): PostgreSQL's inet refuses anything else,
    which was a 500 before (found by fuzzing)."""

    field_class = forms.GenericIPAddressField


class AuditEventFilter(django_filters.FilterSet):
    at_from = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="gte", label="At or after (ISO 8601)")
    at_to = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="lte", label="At or before (ISO 8601)")
    action_prefix = django_filters.CharFilter(field_name="action", lookup_expr="startswith",
                                              label="Actions starting with, e.g. `mfa.`")
    ip = IPAddressFilter(field_name="ip", label="Client IP address")

    class Meta:
        model = AuditEvent
        fields = ["action", "actor", "actor_username", "target_type", "target_id", "request_id", "ip"]


class AuditEventListView(CSVExportMixin, generics.ListAPIView):
    """The audit trail, newest first, for auditors and branch managers. Filter by action,
    actor, target, request id, IP and time; `?format=csv` to export."""

    serializer_class = AuditEventSerializer
    permission_classes = [HasCapability("read_audit")]
    pagination_class = LedgerCursorPagination
    filterset_class = AuditEventFilter
    csv_filename = "audit.csv"

    def get_queryset(self):
        return AuditEvent.objects.all()
