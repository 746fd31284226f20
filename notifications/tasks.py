from celery import shared_task

from . import services


@shared_task(name="notifications.deliver", ignore_result=True)
def deliver_notification(user_id: int, kind: str, event: str) -> str:
    return services.deliver_event(user_id=user_id, kind=kind, event=event)


@shared_task(name="notifications.deliver_pending", ignore_result=True)
def deliver_pending_notifications() -> dict:
    """The sweep (every minute, django-celery-beat): rows whose enqueue or send failed."""
    return services.deliver_pending()
