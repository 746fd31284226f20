"""Roles are Django groups holding capability permissions. ensure_roles() makes them (from
a migration, with historical models, and after every migrate or test flush); assign_role()
gives a staff member exactly one role."""

from django.apps import apps as global_apps
from django.db import transaction

from .capabilities import APP_LABEL, CAPABILITIES, DEFAULT_ROLE, ROLES


def ensure_roles(apps=global_apps) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    content_type, _ = ContentType.objects.get_or_create(app_label=APP_LABEL, model="capability")
    permissions = {}
    for codename, name in CAPABILITIES.items():
        permissions[codename], _ = Permission.objects.get_or_create(
            content_type=content_type, codename=codename, defaults={"name": name}
        )
    for role, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set([permissions[codename] for codename in codenames])


def roles_of(user) -> list[str]:
    # groups.all(): uses a prefetch_related("user__groups") when the caller made one.
    return sorted(group.name for group in user.groups.all() if group.name in ROLES)


def set_role(user, role: str) -> None:
    """Exactly one staff role: the others are taken away (other groups are left alone)."""
    from django.contrib.auth.models import Group

    if role not in ROLES:
        raise ValueError(f"Unknown role {role!r}.")
    with transaction.atomic():
        user.groups.remove(*Group.objects.filter(name__in=ROLES).exclude(name=role))
        user.groups.add(Group.objects.get(name=role))
    for cache in ("_perm_cache", "_group_perm_cache", "_user_perm_cache", "_staff_capabilities"):
        user.__dict__.pop(cache, None)


def assign_default_role(user) -> None:
    """A new staff member with no role yet gets DEFAULT_ROLE."""
    if not roles_of(user):
        set_role(user, DEFAULT_ROLE)
