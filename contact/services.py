"""Writes on contact messages. The API and the admin call these."""

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from bank_project.errors import Conflict

from .models import ContactMessage


class AlreadyHandled(Conflict):
    code = "already_handled"
    default_message = "This message has already been handled."


@transaction.atomic
def submit_message(*, name: str, email: str, message: str, phone: str = "", service=None,
                   service_interested: str = "") -> ContactMessage:
    contact = ContactMessage(name=name, email=email, phone=phone, service=service,
                             service_interested=service_interested, message=message)
    contact.full_clean()
    contact.save()
    return contact


@transaction.atomic
def mark_handled(*, contact: ContactMessage, handled_by: User) -> ContactMessage:
    """Once only: two managers handling the same message at once serialise on the row lock."""
    locked = ContactMessage.objects.select_for_update().get(pk=contact.pk)
    if locked.is_handled:
        raise AlreadyHandled()
    locked.is_handled = True
    locked.handled_by = handled_by
    locked.handled_at = timezone.now()
    locked.save(update_fields=["is_handled", "handled_by", "handled_at"])
    return locked
