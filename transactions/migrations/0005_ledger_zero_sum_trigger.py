"""PostgreSQL refuses to COMMIT a transaction whose entries do not sum to zero or whose
entries' accounts are not all in the transaction's currency.

A deferred constraint trigger (as django-hordak does): it runs at COMMIT, once per entry
inserted, when all the legs are in, so the services' order of inserts does not matter and
raw SQL cannot get around it. SQLite has no deferred triggers: there the check in
transactions.services.post_transaction is the guard.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION ledger_transaction_balanced() RETURNS trigger AS $$
DECLARE
    total numeric;
    mixed boolean;
BEGIN
    SELECT COALESCE(sum(e.amount), 0), COALESCE(bool_or(a.currency <> t.currency), false)
      INTO total, mixed
      FROM transactions_entry e
      JOIN transactions_account a ON a.id = e.account_id
      JOIN transactions_transaction t ON t.id = e.transaction_id
     WHERE e.transaction_id = NEW.transaction_id;
    IF total <> 0 THEN
        RAISE EXCEPTION 'Ledger transaction % is unbalanced: its entries sum to %, not 0.',
            NEW.transaction_id, total USING ERRCODE = 'check_violation';
    END IF;
    IF mixed THEN
        RAISE EXCEPTION 'Ledger transaction % mixes currencies: every entry''s account must be in the transaction''s currency.',
            NEW.transaction_id USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""

TRIGGER = """
CREATE CONSTRAINT TRIGGER transactions_entry_balanced
    AFTER INSERT ON transactions_entry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_transaction_balanced();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION, params=None)  # its % are PL/pgSQL placeholders
        schema_editor.execute(TRIGGER, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER IF EXISTS transactions_entry_balanced ON transactions_entry;")
        schema_editor.execute("DROP FUNCTION IF EXISTS ledger_transaction_balanced();")


class Migration(migrations.Migration):
    dependencies = [("transactions", "0004_internal_account_shards")]

    operations = [migrations.RunPython(create, drop)]
