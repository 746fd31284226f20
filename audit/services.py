"""Writing the audit trail. Call record() inside the database transaction of the action it
records (or use `audited`, which opens one around the action), so that both commit or
neither does. Events with no transaction of their own (a failed login, a read) commit alone.
"""

from contextlib import contextmanager
from dataclasses import dataclass, field
from ipaddress import ip_address
from typing import Any

from django.db import models, transaction

from .context import current
from .models import Action, AuditEvent


def target_of(obj) -> tuple[str, str]:
    if obj is None:
        return "", ""
    return obj._meta.label_lower, str(obj.pk)


def _valid_ip(value):
    try:
        return str(ip_address(value)) if value else None
    except ValueError:
        return None


def record(
    action: str,
    *,
    actor=None,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: Any = "",
    before: dict | None = None,
    after: dict | None = None,
    actor_username: str = "",
) -> AuditEvent:
    if action not in Action.values:
        raise ValueError(f"Unknown audit action {action!r}.")
    if target is not None:
        target_type, target_id = target_of(target)
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    context = current()
    return AuditEvent.objects.create(
        actor=actor,
        actor_username=actor.get_username() if actor is not None else actor_username[:150],
        action=action,
        target_type=target_type,
        target_id=str(target_id)[:64],
        ip=_valid_ip(context.ip),
        request_id=context.request_id,
        before=before,
        after=after,
    )


@dataclass
class PendingEvent:
    """Filled in by the block `audited` wraps; written when the block succeeds."""

    action: str
    actor: Any
    target: models.Model | None = None
    before: dict | None = None
    after: dict | None = None
    extra: dict = field(default_factory=dict)


@contextmanager
def audited(action: str, *, actor, target=None, before=None):
    """One database transaction around an action and its audit row:

        with audited(Action.ACCOUNT_FROZEN, actor=user, target=account) as event:
            account = services.freeze(...)
            event.after = {"status": account.status}
    """
    event = PendingEvent(action=action, actor=actor, target=target, before=before)
    with transaction.atomic():
        yield event
        record(event.action, actor=event.actor, target=event.target, before=event.before, after=event.after)
