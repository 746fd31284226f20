"""The Celery app: Redis as the broker, schedules in the database (django-celery-beat).

`make worker` runs a worker with beat embedded; production runs the same command as its
own service (render.yaml). Tasks live in each app's tasks.py.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bank_project.settings")

app = Celery("bank_project")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
