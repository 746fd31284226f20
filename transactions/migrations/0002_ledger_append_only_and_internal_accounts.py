"""History cannot change: triggers refuse UPDATE and DELETE on transactions and entries.

They make even QuerySet.update() and raw SQL fail. (PostgreSQL's TRUNCATE, which only the
test runner's flush uses, is a different statement and is not refused.) Also creates the
bank's internal accounts.
"""

from django.db import migrations

LEDGER_TABLES = ("transactions_transaction", "transactions_entry")

POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'The ledger is append-only: % on % is not allowed; post a reversal instead.',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
"""


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_FUNCTION, params=None)  # its % are PL/pgSQL placeholders
        for table in LEDGER_TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION ledger_append_only();"
            )
    elif vendor == "sqlite":
        for table in LEDGER_TABLES:
            for operation in ("UPDATE", "DELETE"):
                schema_editor.execute(
                    f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, 'The ledger is append-only: {operation} on {table} "
                    f"is not allowed; post a reversal instead.'); END;"
                )
    else:
        raise NotImplementedError(f"No append-only triggers for {vendor}.")


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in LEDGER_TABLES:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
        else:
            for operation in ("update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_{operation};")
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS ledger_append_only();")


def create_internal_accounts(apps, schema_editor):
    from transactions.services import ensure_internal_accounts

    ensure_internal_accounts(apps.get_model("transactions", "Account"))


class Migration(migrations.Migration):
    dependencies = [("transactions", "0001_initial")]

    operations = [
        migrations.RunPython(create_triggers, drop_triggers),
        migrations.RunPython(create_internal_accounts, migrations.RunPython.noop),
    ]
