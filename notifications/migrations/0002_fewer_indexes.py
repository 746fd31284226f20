"""The user's own index is redundant: notification_user_recent and the once-per-event constraint lead with it."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from bank_project.migration_ops import drop_index_only


class Migration(migrations.Migration):
    atomic = False  # DROP INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ('notifications', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='notification',
                    name='user',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE,
                                            related_name='notifications', to=settings.AUTH_USER_MODEL),
                ),
            ],
            database_operations=[drop_index_only(table="notifications_notification", column="user_id",
                                                 index="notifications_notification_user_id_b5e8c0ff")],
        ),
    ]
