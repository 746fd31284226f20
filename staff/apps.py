from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_roles(sender, **kwargs):
    from .roles import ensure_roles

    ensure_roles()


class StaffConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "staff"
    verbose_name = "Staff roles"

    def ready(self):
        # After migrate, and after a test flush empties the tables: the roles exist again.
        post_migrate.connect(_ensure_roles, sender=self, dispatch_uid="staff.ensure_roles")

        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group
        from django.db.models.signals import m2m_changed

        from .cache import group_permissions_changed, groups_changed

        user_model = get_user_model()
        m2m_changed.connect(groups_changed, sender=user_model.groups.through, dispatch_uid="staff.groups")
        m2m_changed.connect(groups_changed, sender=user_model.user_permissions.through, dispatch_uid="staff.perms")
        m2m_changed.connect(group_permissions_changed, sender=Group.permissions.through,
                            dispatch_uid="staff.group_perms")
