from django.conf import settings
from rest_framework import serializers
from rest_framework.renderers import BrowsableAPIRenderer

from .renderers import CSVRenderer, JSONRenderer

# JSON, CSV (`?format=csv`), and the browsable API while developing.
RENDERERS_WITH_CSV = [JSONRenderer, CSVRenderer] + ([BrowsableAPIRenderer] if settings.DEBUG else [])



class StrictSerializerMixin:
    """Refuse fields the endpoint does not know, so typos and mass assignment are visible."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        # Read-only fields (balance, account_no, user, ...) that a client sends back are
        # dropped by DRF, never stored.
        return super().to_internal_value(data)


class CSVExportMixin:
    """`?format=csv` exports every row the filters match (up to CSV_EXPORT_MAX_ROWS), unpaginated."""

    renderer_classes = RENDERERS_WITH_CSV

    def paginate_queryset(self, queryset):
        if getattr(self.request, "accepted_renderer", None) and self.request.accepted_renderer.format == "csv":
            return None
        return super().paginate_queryset(queryset)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if getattr(self.request, "accepted_renderer", None) and self.request.accepted_renderer.format == "csv":
            return queryset[: settings.CSV_EXPORT_MAX_ROWS]
        return queryset

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if getattr(request, "accepted_renderer", None) and request.accepted_renderer.format == "csv":
            response["Content-Disposition"] = f'attachment; filename="{self.csv_filename}"'
        return response
