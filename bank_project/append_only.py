"""Database triggers that refuse UPDATE and DELETE on history tables (the ledger, the audit
trail): even QuerySet.update() and raw SQL fail. PostgreSQL's TRUNCATE, which only the
test runner's flush uses, is a different statement and is not refused. Used by migrations."""


def create_triggers(schema_editor, *, tables, function: str, subject: str, advice: str = "") -> None:
    """`subject` names what is append-only ("The ledger"); `advice` ends the message."""
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(
            f"""
CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{subject} is append-only: % on % is not allowed{advice}',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
""",
            params=None,  # its % are PL/pgSQL placeholders
        )
        for table in tables:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {function}();"
            )
    elif vendor == "sqlite":
        for table in tables:
            for operation in ("UPDATE", "DELETE"):
                schema_editor.execute(
                    f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{subject} is append-only: {operation} on {table} "
                    f"is not allowed{advice}'); END;"
                )
    else:
        raise NotImplementedError(f"No append-only triggers for {vendor}.")


def drop_triggers(schema_editor, *, tables, function: str) -> None:
    vendor = schema_editor.connection.vendor
    for table in tables:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
        else:
            for operation in ("update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_{operation};")
    if vendor == "postgresql":
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {function}();")
