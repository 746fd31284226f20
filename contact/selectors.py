from django.db.models import QuerySet

from .models import ContactMessage


def contact_messages() -> QuerySet[ContactMessage]:
    """Every message, newest first, with what the list shows in the same query."""
    return ContactMessage.objects.select_related("service", "handled_by")
