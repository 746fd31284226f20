"""A staff member's capabilities, cached: every staff request checks them, and the shared
cache (Redis in production) answers without touching PostgreSQL. The database stays the
truth: any change of a user's groups or permissions, or of a role's permissions, deletes
the cached sets it touches (m2m_changed), and a cache that fails is skipped, not trusted."""

import logging

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q

from .capabilities import APP_LABEL

logger = logging.getLogger(__name__)


def _key(user_id) -> str:
    return f"staff-capabilities:{user_id}"


def capabilities_of(user) -> frozenset[str]:
    cached = user.__dict__.get("_staff_capabilities")
    if cached is not None:
        return cached
    try:
        cached = cache.get(_key(user.pk))
    except Exception:  # the cache is an accelerator: when it fails, ask the database
        logger.warning("capability cache unavailable", exc_info=True)
        cached = None
    if cached is None:
        cached = frozenset(
            Permission.objects.filter(content_type__app_label=APP_LABEL)
            .filter(Q(group__user=user) | Q(user=user))
            .values_list("codename", flat=True)
        )
        try:
            cache.set(_key(user.pk), cached, settings.STAFF_CAPABILITY_CACHE_SECONDS)
        except Exception:
            logger.warning("capability cache unavailable", exc_info=True)
    user.__dict__["_staff_capabilities"] = cached
    return cached


def forget(user_ids) -> None:
    keys = [_key(user_id) for user_id in user_ids]
    if not keys:
        return

    def delete():
        try:
            cache.delete_many(keys)
        except Exception:
            logger.warning("capability cache unavailable", exc_info=True)

    delete()
    transaction.on_commit(delete)  # and again once the change is visible to everyone


def groups_changed(sender, instance, action, reverse, model, pk_set, **kwargs):
    """User.groups / User.user_permissions changed (from either side)."""
    if not action.startswith("post_"):
        return
    if not reverse:  # instance is the user
        forget([instance.pk])
    elif pk_set:  # instance is the group or permission; pk_set the users
        forget(pk_set)
    else:  # clear() from the group's side
        forget(list(instance.user_set.values_list("pk", flat=True)) if isinstance(instance, Group) else [])


def group_permissions_changed(sender, instance, action, reverse, model, pk_set, **kwargs):
    """Group.permissions changed: every member of the groups concerned."""
    if not action.startswith("post_"):
        return
    groups = [instance.pk] if not reverse else list(pk_set or ())
    user_model = Group.user_set.rel.related_model
    forget(list(user_model.objects.filter(groups__in=groups).values_list("pk", flat=True).distinct()))
