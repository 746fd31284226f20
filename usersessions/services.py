"""Writes on login sessions. Login, logout, password change, the sessions API and the
purge command call these; authentication calls `check_and_touch`."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from rest_framework import status

from audit.models import Action as AuditAction
from audit.services import record
from bank_project.errors import DomainError

from .models import Session

# "Last used" is written at most once per this interval per session: a request is one
# indexed UPDATE at most a minute, never a write per request.
TOUCH_INTERVAL = timedelta(seconds=60)


class SessionEnded(DomainError):
    status_code = status.HTTP_401_UNAUTHORIZED
    code = "session_ended"
    default_message = "This session has ended; log in again."


def open_session(*, user, ip: str | None = None, user_agent: str = "") -> Session:
    return Session.objects.create(user=user, ip=ip or None, user_agent=(user_agent or "")[:255])


def check_and_touch(session: Session, now=None) -> None:
    """Refuse a dead session (ending it for good when idle or too old); touch a live one."""
    now = now or timezone.now()
    reason = session.dead_reason(now)
    if reason is not None:
        if session.ended_at is None:
            # Record why it died, once; a concurrent request may have done it already.
            Session.objects.filter(pk=session.pk, ended_at__isnull=True).update(ended_at=now, ended_reason=reason)
        raise SessionEnded()
    if now - session.last_used_at >= TOUCH_INTERVAL:
        # Conditional: two requests in the same minute write once between them.
        Session.objects.filter(pk=session.pk, last_used_at__lte=now - TOUCH_INTERVAL).update(last_used_at=now)
        session.last_used_at = now


@transaction.atomic
def end_sessions(sessions, *, reason: str, ended_by=None) -> int:
    """End every still-open session of the queryset; returns how many were ended. Each end
    is a security event: one audit row, in the same database transaction."""
    open_sessions = sessions.filter(ended_at__isnull=True)
    ended = list(open_sessions.values_list("pk", "user_id"))
    if not ended:
        return 0
    count = Session.objects.filter(pk__in=[pk for pk, _ in ended], ended_at__isnull=True).update(
        ended_at=timezone.now(), ended_reason=reason, ended_by=ended_by
    )
    users = sorted({user_id for _, user_id in ended})
    record(AuditAction.SESSIONS_ENDED, actor=ended_by, target_type="accounts.user",
           target_id=users[0] if len(users) == 1 else "",
           after={"reason": reason, "sessions": [pk for pk, _ in ended], "users": users, "ended": count})
    return count


def end_session(*, session_id, reason: str, ended_by=None) -> int:
    return end_sessions(Session.objects.filter(pk=session_id), reason=reason, ended_by=ended_by)


def end_other_sessions(*, user, keep_session_id=None, ended_by=None) -> int:
    """A password change: every session of the user but the one that made it ends (all of
    them when none made it, e.g. staff set the password); ended by the user unless told."""
    return end_sessions(
        Session.objects.filter(user=user).exclude(pk=keep_session_id),
        reason=Session.EndReason.PASSWORD_CHANGED, ended_by=ended_by or user,
    )


@transaction.atomic
def purge_expired(*, older_than_days: int = 30, now=None) -> tuple[int, int]:
    """End the sessions that died by idling or age, then delete those that ended more than
    `older_than_days` ago. Returns (ended, deleted)."""
    now = now or timezone.now()
    idle_cutoff = now - timedelta(minutes=settings.SESSION_IDLE_MINUTES)
    age_cutoff = now - timedelta(hours=settings.SESSION_MAX_HOURS)
    open_sessions = Session.objects.filter(ended_at__isnull=True)
    ended = open_sessions.filter(created_at__lte=age_cutoff).update(ended_at=now, ended_reason=Session.EndReason.EXPIRED)
    ended += open_sessions.filter(last_used_at__lte=idle_cutoff).update(ended_at=now, ended_reason=Session.EndReason.IDLE)
    deleted, _ = Session.objects.filter(Q(ended_at__lte=now - timedelta(days=older_than_days))).delete()
    return ended, deleted
