"""Ledger activity spread over past days, for the report tests.

`created_at` is stamped by the database layer from `timezone.now()` (and the ledger cannot be
edited afterwards), so each movement is posted with the clock moved back to its day.
"""

from contextlib import contextmanager
from datetime import datetime, timedelta
from unittest import mock

from django.utils import timezone


def run_in_time_order(events) -> list:
    """Run (moment, callable) pairs oldest first, each with the clock at its moment: entries
    of an account are written in time order in real life, so their ids follow time (the
    statement relies on it)."""
    results = []
    for moment, action in sorted(events, key=lambda event: event[0]):
        with clock_at(moment):
            results.append(action())
    return results


@contextmanager
def clock_at(moment: datetime):
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def days_ago(days: int, hour: int = 12) -> datetime:
    today = timezone.localdate()
    return datetime.combine(today - timedelta(days=days), datetime.min.time(), tzinfo=timezone.get_current_timezone()).replace(hour=hour)
