from django.db.models import QuerySet

from .models import Session


def sessions_for(caller, *, of_user_id=None) -> QuerySet[Session]:
    """The caller's own sessions; a manager may name a customer (`of_user_id`) to see theirs.
    Anything else (another manager's, a stranger's) is an empty set: a 404 for one session."""
    sessions = Session.objects.select_related("user").order_by("-id")
    if of_user_id is None or str(of_user_id) == str(caller.pk):
        return sessions.filter(user=caller)
    if caller.is_manager:
        return sessions.filter(user_id=of_user_id, user__customer__isnull=False)
    return sessions.none()


def manageable_sessions(caller) -> QuerySet[Session]:
    """Sessions the caller may end: their own, and for a manager every customer's."""
    if caller.is_manager:
        from django.db.models import Q

        return Session.objects.filter(Q(user=caller) | Q(user__customer__isnull=False))
    return Session.objects.filter(user=caller)
