from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from rest_framework import serializers

from bank_project.api.fields import ReportDateField
from bank_project.money import money_output
from transactions.models import Transaction

from . import selectors


class SummaryQuerySerializer(serializers.Serializer):
    """The query string: `from`, `to` (days, inclusive) and `interval`; errors name those keys."""

    def get_fields(self):
        return {
            "from": ReportDateField(source="date_from", required=False),
            "to": ReportDateField(source="date_to", required=False),
            "interval": serializers.ChoiceField(choices=selectors.INTERVALS, default="day"),
        }

    def validate(self, attrs):
        attrs.setdefault("date_to", timezone.localdate())
        attrs.setdefault("date_from", attrs["date_to"] - timedelta(days=29))
        if attrs["date_from"] > attrs["date_to"]:
            raise serializers.ValidationError({"from": ["The start date is after the end date."]})
        periods = selectors.count_periods(attrs["date_from"], attrs["date_to"], attrs["interval"])
        if periods > selectors.MAX_PERIODS:
            raise serializers.ValidationError(
                {"interval": [f"That range has {periods} {attrs['interval']}s; a report shows at most "
                              f"{selectors.MAX_PERIODS}. Choose a longer interval or a shorter range."]}
            )
        return attrs


class FlowSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    volume = money_output()


class TotalsSerializer(serializers.Serializer):
    """Count and volume of every flow series (one field each), and new customers."""

    new_customers = serializers.IntegerField()

    def get_fields(self):
        fields = super().get_fields()
        for name in selectors.FLOW_SERIES:
            fields[name] = FlowSerializer()
        return fields


class PeriodSerializer(TotalsSerializer):
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    customer_balances = money_output(help_text="Customers' money at the end of the period.")


class CustomerBalancesSerializer(serializers.Serializer):
    opening = money_output()
    closing = money_output()
    current = money_output()
    accounts = serializers.IntegerField()


class LoanBookRowSerializer(serializers.Serializer):
    status = serializers.CharField()
    count = serializers.IntegerField()
    amount_requested = money_output()
    amount_approved = money_output()
    outstanding_principal = money_output()
    outstanding_interest = money_output()


class OverdueBucketSerializer(serializers.Serializer):
    days_past_due = serializers.CharField()
    loans = serializers.IntegerField()
    installments = serializers.IntegerField()
    amount_due = money_output()


class SummarySerializer(serializers.Serializer):
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    interval = serializers.CharField()
    currency = serializers.SerializerMethodField()
    periods = PeriodSerializer(many=True)
    totals = TotalsSerializer()
    customer_balances = CustomerBalancesSerializer(
        help_text="Customers' money at the start and end of the range (from the ledger) and now."
    )
    loan_book = LoanBookRowSerializer(many=True, help_text="Every loan by status, now.")
    loans_overdue = OverdueBucketSerializer(many=True, help_text="Unpaid installments past due, by days late.")

    def get_currency(self, obj) -> str:
        return settings.BANK_CURRENCY


def summary_csv_rows(data: dict) -> list[dict]:
    """One flat row per period: period_start, period_end, <series>_count, <series>_volume, ..."""
    rows = []
    for period in data["periods"]:
        row = {"period_start": period["period_start"], "period_end": period["period_end"]}
        for name in selectors.FLOW_SERIES:
            row[f"{name}_count"] = period[name]["count"]
            row[f"{name}_volume"] = period[name]["volume"]
        row["new_customers"] = period["new_customers"]
        row["customer_balances"] = period["customer_balances"]
        rows.append(row)
    return rows


SUMMARY_CSV_HEADER = [
    "period_start", "period_end",
    *[f"{name}_{part}" for name in selectors.FLOW_SERIES for part in ("count", "volume")],
    "new_customers", "customer_balances",
]


class DailyBalanceSerializer(serializers.Serializer):
    date = serializers.DateField()
    balance = money_output()


class MoneyInOutSerializer(serializers.Serializer):
    money_in = money_output()
    money_out = money_output()


class ByKindSerializer(serializers.Serializer):
    """One key per transaction kind, every month, zero when nothing moved."""

    def get_fields(self):
        return {kind: MoneyInOutSerializer() for kind in Transaction.Kind.values}


class MonthSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    money_in = money_output()
    money_out = money_output()
    by_kind = ByKindSerializer()


class DashboardSerializer(serializers.Serializer):
    account_no = serializers.CharField()
    currency = serializers.CharField()
    balance = money_output()
    daily_balances = DailyBalanceSerializer(many=True, help_text="Balance at the end of each of the last 30 days.")
    monthly = MonthSerializer(many=True, help_text="Money in and out per month for 12 months, oldest first, by kind.")
