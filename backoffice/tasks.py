from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from .services import close_through


@shared_task(name="backoffice.close_business_day", ignore_result=True)
def close_business_day() -> list[str]:
    """Scheduled each night (django-celery-beat): close yesterday and any date missed before it."""
    runs = close_through(target=timezone.localdate() - timedelta(days=1), trigger="schedule")
    return [f"{run.business_date}: {run.status}" for run in runs]
