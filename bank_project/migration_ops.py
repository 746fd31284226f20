"""Migration operations shared by the apps."""

from django.db import migrations


def drop_index_only(*, table: str, index: str, column: str) -> migrations.RunPython:
    """Drop a foreign key's index and keep the key (concurrently on PostgreSQL; the migration
    must be `atomic = False`). Django's AlterField(db_index=False) would drop the foreign key
    and add it back, checking every row of the table under an exclusive lock."""

    def concurrently(schema_editor) -> str:
        return " CONCURRENTLY" if schema_editor.connection.vendor == "postgresql" else ""

    def drop(apps, schema_editor):
        schema_editor.execute(f'DROP INDEX{concurrently(schema_editor)} IF EXISTS "{index}"')

    def create(apps, schema_editor):
        schema_editor.execute(f'CREATE INDEX{concurrently(schema_editor)} IF NOT EXISTS "{index}" '
                              f'ON "{table}" ("{column}")')

    return migrations.RunPython(drop, create)
