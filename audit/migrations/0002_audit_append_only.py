"""The audit trail cannot change: triggers refuse UPDATE and DELETE on its rows, as the
ledger's do (transactions/migrations/0002). Even QuerySet.update() and raw SQL fail.
(PostgreSQL's TRUNCATE, which only the test runner's flush uses, is not refused.)"""

from django.db import migrations

TABLE = "audit_auditevent"

POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'The audit trail is append-only: % on % is not allowed.',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
"""


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_FUNCTION, params=None)  # its % are PL/pgSQL placeholders
        schema_editor.execute(
            f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
            f"FOR EACH ROW EXECUTE FUNCTION audit_append_only();"
        )
    elif vendor == "sqlite":
        for operation in ("UPDATE", "DELETE"):
            schema_editor.execute(
                f"CREATE TRIGGER {TABLE}_no_{operation.lower()} BEFORE {operation} ON {TABLE} "
                f"BEGIN SELECT RAISE(ABORT, 'The audit trail is append-only: {operation} on {TABLE} "
                f"is not allowed.'); END;"
            )
    else:
        raise NotImplementedError(f"No append-only triggers for {vendor}.")


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE};")
        schema_editor.execute("DROP FUNCTION IF EXISTS audit_append_only();")
    else:
        for operation in ("update", "delete"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_{operation};")


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
