"""History cannot change: triggers refuse UPDATE and DELETE on transactions and entries.

They make even QuerySet.update() and raw SQL fail. (PostgreSQL's TRUNCATE, which only the
test runner's flush uses, is a different statement and is not refused.) Also creates the
bank's internal accounts.
"""

from django.db import migrations

from bank_project import append_only

TRIGGERS = {"tables": ["transactions_transaction", "transactions_entry"], "function": "ledger_append_only"}


def create_triggers(apps, schema_editor):
    append_only.create_triggers(schema_editor, **TRIGGERS, subject="The ledger", advice="; post a reversal instead.")


def drop_triggers(apps, schema_editor):
    append_only.drop_triggers(schema_editor, **TRIGGERS)


def create_internal_accounts(apps, schema_editor):
    # ensure_internal_accounts copes with this migration's unsharded Account (one row per
    # code); migration 0004 shards them.
    from transactions.services import ensure_internal_accounts

    ensure_internal_accounts(apps.get_model("transactions", "Account"), using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [("transactions", "0001_initial")]

    operations = [
        migrations.RunPython(create_triggers, drop_triggers),
        migrations.RunPython(create_internal_accounts, migrations.RunPython.noop),
    ]
