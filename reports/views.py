from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsCustomer
from bank_project.api.renderers import CSVRenderer, JSONRenderer
from transactions.selectors import own_account

from . import selectors
from .permissions import CanViewReports
from .serializers import (
    SUMMARY_CSV_HEADER,
    DashboardSerializer,
    SummaryQuerySerializer,
    SummarySerializer,
    summary_csv_rows,
)

CACHE_VERSION = 1


def cached_summary(*, date_from, date_to, interval) -> dict:
    """The serialized summary, kept REPORTS_CACHE_SECONDS: a chart page reloaded by several
    managers costs the database once. Today's date is in the key (overdue buckets move daily)."""
    today = timezone.localdate()
    key = f"reports:summary:v{CACHE_VERSION}:{date_from}:{date_to}:{interval}:{today}"
    data = cache.get(key)
    if data is None:
        report = selectors.summary(date_from=date_from, date_to=date_to, interval=interval, today=today)
        data = SummarySerializer(report).data
        cache.set(key, data, settings.REPORTS_CACHE_SECONDS)
    return data


class SummaryView(APIView):
    """Bank-wide flows per day, week or month (count and volume of deposits, withdrawals,
    transfers, gateway payments, loan disbursements and repayments, reversals), customers'
    balances at the end of each period, new customers, and the loan book now.
    `?format=csv` gives one row per period."""

    permission_classes = [CanViewReports]
    renderer_classes = [JSONRenderer, CSVRenderer]
    csv_header = SUMMARY_CSV_HEADER

    @extend_schema(
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="First day (inclusive); default 29 days before `to`."),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Last day (inclusive); default today."),
            OpenApiParameter("interval", OpenApiTypes.STR, enum=list(selectors.INTERVALS),
                             description="Length of a period; default `day`."),
        ],
        responses={200: SummarySerializer},
    )
    def get(self, request):
        query = SummaryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = cached_summary(**query.validated_data)
        if request.accepted_renderer.format == "csv":
            response = Response(summary_csv_rows(data))
            name = f"summary-{data['date_from']}-{data['date_to']}-{data['interval']}.csv"
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
        return Response(data)


class DashboardView(APIView):
    """The customer's own picture: balance at the end of each of the last 30 days, and money
    in and out per month for the last 12 months, in total and by kind."""

    permission_classes = [IsCustomer]

    @extend_schema(responses={200: DashboardSerializer})
    def get(self, request):
        report = selectors.customer_dashboard(account=own_account(request.user), today=timezone.localdate())
        return Response(DashboardSerializer(report).data)
