"""The audit trail cannot change: triggers refuse UPDATE and DELETE on its rows, as the
ledger's do (bank_project/append_only.py)."""

from django.db import migrations

from bank_project import append_only

TRIGGERS = {"tables": ["audit_auditevent"], "function": "audit_append_only"}


def create_triggers(apps, schema_editor):
    append_only.create_triggers(schema_editor, **TRIGGERS, subject="The audit trail", advice=".")


def drop_triggers(apps, schema_editor):
    append_only.drop_triggers(schema_editor, **TRIGGERS)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
