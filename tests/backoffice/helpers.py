from datetime import date, datetime, timedelta

import time_machine

from backoffice.services import close_through, end_of_day


def during(day: date, hour: int = 12) -> time_machine.travel:
    """The clock at `hour` o'clock on `day` (bank time zone), standing still."""
    from django.utils import timezone

    return time_machine.travel(timezone.make_aware(datetime(day.year, day.month, day.day, hour)), tick=False)


def close(day: date):
    """Close of business for `day` as the nightly task runs it: just after midnight."""
    with time_machine.travel(end_of_day(day) + timedelta(minutes=30), tick=False):
        return close_through(target=day, trigger="test")


def close_range(first: date, last: date):
    day = first
    while day <= last:
        close(day)
        day += timedelta(days=1)
