"""Serializer fields shared by the apps' query strings."""

from datetime import date

from rest_framework import serializers


class ReportDateField(serializers.DateField):
    """A day that bounds a report or statement: ISO `YYYY-MM-DD` within years the bank can
    mean. Python's dates end at 9999-12-31, and a report's end is the start of the following
    day: without the bounds, `to=9999-12-31` overflowed into a 500."""

    earliest = date(1900, 1, 1)
    latest = date(2999, 12, 31)

    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        if not self.earliest <= day <= self.latest:
            raise serializers.ValidationError(f"Choose a day between {self.earliest} and {self.latest}.")
        return day
