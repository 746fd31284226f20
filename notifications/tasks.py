from celery import shared_task

from . import services


@shared_task(name="notifications.deliver", ignore_result=True)
def deliver_notification(user_id: int, kind: str, event: str) -> str:
    """One event's notification. No longer asked for (see deliver_new); kept so that messages
    queued by an earlier release are still consumed after an upgrade."""
    return services.deliver_event(user_id=user_id, kind=kind, event=event)


@shared_task(name="notifications.deliver_new", ignore_result=True)
def deliver_new_notifications() -> dict:
    """Asked for after commits that wrote outbox rows (services.enqueue_delivery): the rows
    no send has been tried for yet."""
    return services.deliver_new()


@shared_task(name="notifications.deliver_pending", ignore_result=True)
def deliver_pending_notifications() -> dict:
    """The sweep (every minute, django-celery-beat): rows whose enqueue or send failed."""
    return services.deliver_pending()
