"""The default schedules, as django-celery-beat rows (editable in the admin afterwards).

Close of business at 00:30 every night (it closes yesterday and any date missed before);
the notification sweep every minute (emails whose enqueue or send failed).
"""

from django.conf import settings
from django.db import migrations

SCHEDULES = {
    "Close of business (yesterday, and any missed date)": "backoffice.close_business_day",
    "Deliver pending notifications": "notifications.deliver_pending",
}


def create_schedules(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    nightly, _ = CrontabSchedule.objects.get_or_create(
        minute="30", hour="0", day_of_week="*", day_of_month="*", month_of_year="*", timezone=settings.TIME_ZONE
    )
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    schedule = {"backoffice.close_business_day": {"crontab": nightly},
                "notifications.deliver_pending": {"interval": every_minute}}
    for name, task in SCHEDULES.items():
        PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, **schedule[task]})


def remove_schedules(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=list(SCHEDULES)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("backoffice", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedules, remove_schedules)]
