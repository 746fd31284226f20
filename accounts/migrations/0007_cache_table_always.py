"""The database cache table exists whatever CACHES said at migrate time.

0002 ran `createcachetable`, which only makes tables for the caches configured *then*: a
deployment whose first `migrate` ran with REDIS_URL set never got `bank_cache`, and
answered 500 on login once REDIS_URL was unset. This makes the table by name (a no-op
where it exists), with the schema Django's DatabaseCache uses.
"""

from django.core.management.commands.createcachetable import Command as CreateCacheTable
from django.db import migrations

CACHE_TABLE = "bank_cache"  # settings.CACHES["default"]["LOCATION"] without REDIS_URL


def create_cache_table(apps, schema_editor):
    command = CreateCacheTable()
    command.verbosity = 0
    command.create_table(schema_editor.connection.alias, CACHE_TABLE, dry_run=False)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0006_manager_application")]

    # Reversing leaves the table: 0002's reverse drops it.
    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
