"""The roles (groups with their capability permissions), and every existing manager
becomes a branch manager: they could do everything before, and still can."""

from django.db import migrations


def create_roles(apps, schema_editor):
    from staff.capabilities import BRANCH_MANAGER, ROLES
    from staff.roles import ensure_roles

    ensure_roles(apps)
    Group = apps.get_model("auth", "Group")
    Manager = apps.get_model("accounts", "Manager")
    branch_manager = Group.objects.get(name=BRANCH_MANAGER)
    for manager in Manager.objects.select_related("user"):
        if not manager.user.groups.filter(name__in=ROLES).exists():
            manager.user.groups.add(branch_manager)


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0001_initial"),
        ("accounts", "0003_user_tokens_valid_after"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
