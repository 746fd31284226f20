-- An EXPERIMENT, never a migration: run on the throwaway bench database only, through
--   bench/run.py --sql-after-seed bench/experiments/ledger_without_integrity.sql
-- It drops what the ledger pays for its integrity on every posting (the foreign keys of
-- the transaction, its entries and the recipient's outbox row, and the deferred zero-sum
-- trigger), so that a run says what a transfer would cost PostgreSQL without them
-- (docs/scaling.md, "Why the 1.5x target is out of reach here"). The ledger audit after
-- the run still checks the books: the app writes the same rows either way.
DO $$
DECLARE
    fk record;
BEGIN
    FOR fk IN
        SELECT conrelid::regclass AS tab, conname
        FROM pg_constraint
        WHERE contype = 'f'
          AND conrelid IN ('transactions_transaction'::regclass, 'transactions_entry'::regclass,
                           'notifications_notification'::regclass)
    LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', fk.tab, fk.conname);
    END LOOP;
END
$$;
DROP TRIGGER transactions_entry_balanced ON transactions_entry;
