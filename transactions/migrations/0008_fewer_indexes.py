"""One index fewer per posting: transaction.performed_by keeps its foreign key, not its index
(docs/scaling.md).

The index alone is dropped, concurrently (bank_project.migration_ops.drop_index_only).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from bank_project.migration_ops import drop_index_only


class Migration(migrations.Migration):
    atomic = False  # DROP INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ('transactions', '0007_interest_and_fees'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='transaction',
                    name='performed_by',
                    field=models.ForeignKey(blank=True, db_index=False, null=True,
                                            on_delete=django.db.models.deletion.PROTECT, related_name='+',
                                            to=settings.AUTH_USER_MODEL),
                ),
            ],
            database_operations=[drop_index_only(table="transactions_transaction", column="performed_by_id",
                                                 index="transactions_transaction_performed_by_id_680e8d93")],
        ),
    ]
