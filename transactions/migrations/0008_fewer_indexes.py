"""One index fewer per posting: transaction.performed_by keeps its foreign key, not its index
(docs/scaling.md). SQLite rebuilds the table to alter the column, which drops its triggers:
the append-only triggers are put back, as in 0006."""

import importlib

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def restore_sqlite_triggers(apps, schema_editor):
    importlib.import_module("transactions.migrations.0006_fewer_indexes_per_posting").restore_sqlite_triggers(
        apps, schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ('transactions', '0007_interest_and_fees'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='transaction',
            name='performed_by',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.RunPython(restore_sqlite_triggers, restore_sqlite_triggers),
    ]
