"""A posting writes fewer index entries: the FK indexes that tx_source_recent, tx_destination_recent and
entry_account_history already lead with are dropped, and the reference is unique by a constraint
(no varchar_pattern_ops twin index). Measured in docs/scaling.md."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def restore_sqlite_triggers(apps, schema_editor):
    """SQLite alters a column by rebuilding its table, which drops the table's triggers:
    put the append-only triggers of migration 0002 back (PostgreSQL keeps them)."""
    if schema_editor.connection.vendor != "sqlite":
        return
    import importlib

    append_only = importlib.import_module("transactions.migrations.0002_ledger_append_only_and_internal_accounts")
    append_only.drop_triggers(apps, schema_editor)
    append_only.create_triggers(apps, schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ('transactions', '0005_ledger_zero_sum_trigger'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # Unapplying runs the operations backwards: the table rebuilds below drop the triggers
        # again after the last step put them back, so this first step restores them once more.
        migrations.RunPython(migrations.RunPython.noop, restore_sqlite_triggers),
        migrations.AlterField(
            model_name='entry',
            name='account',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='entries', to='transactions.account'),
        ),
        migrations.AlterField(
            model_name='transaction',
            name='destination',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='incoming_transactions', to='transactions.account'),
        ),
        migrations.AlterField(
            model_name='transaction',
            name='reference',
            field=models.CharField(editable=False, max_length=20),
        ),
        migrations.AlterField(
            model_name='transaction',
            name='source',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='outgoing_transactions', to='transactions.account'),
        ),
        migrations.AddConstraint(
            model_name='transaction',
            constraint=models.UniqueConstraint(fields=('reference',), name='transaction_reference_unique'),
        ),
        migrations.RunPython(restore_sqlite_triggers, restore_sqlite_triggers),
    ]
