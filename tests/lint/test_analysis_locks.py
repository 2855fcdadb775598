"""Lock-mode facts of the analysis table, checked against a real PostgreSQL 15: run the statement in a
transaction, read pg_locks for the table, compare with what the linter says."""

from __future__ import annotations

import psycopg
import pytest

from bhq_migrate.lint import analyse_sql

STATEMENTS = [
    'ALTER TABLE "Invoice" ALTER COLUMN "amountCents" TYPE BIGINT',
    'CREATE INDEX "Invoice_status_idx" ON "Invoice" ("status")',
    'CREATE INDEX "Invoice_status_idx" ON "Invoice" ("status") WHERE "depositCents" IS NULL',
    'ALTER TABLE "Invoice" ADD CONSTRAINT "Invoice_amount_check" CHECK ("amountCents" >= 0) NOT VALID',
    'ALTER TABLE "Invoice" ADD COLUMN "note" text DEFAULT \'\'',
    'ALTER TABLE "Invoice" ALTER COLUMN "status" SET NOT NULL',
    'ALTER TABLE "Payment" ADD CONSTRAINT "Payment_invoice2_fkey" FOREIGN KEY ("invoiceId") '
    'REFERENCES "Invoice" ("id") NOT VALID',
    'ALTER TABLE "Payment" VALIDATE CONSTRAINT "Payment_invoiceId_fkey"',
    'DROP INDEX "Invoice_tenantId_idx"',
    'UPDATE "Invoice" SET "status" = "status" WHERE "id" = 1',
    'CREATE TABLE "Refund" ("id" bigint, "invoiceId" integer REFERENCES "Invoice" ("id"))',
    'CREATE TRIGGER "Invoice_touch" BEFORE UPDATE ON "Invoice" FOR EACH ROW '
    "EXECUTE FUNCTION suppress_redundant_updates_trigger()",
    'ALTER TABLE "Invoice" SET LOGGED',
    'ALTER TABLE "Invoice" ENABLE ROW LEVEL SECURITY',
    'CREATE POLICY "tenant_isolation" ON "Invoice" USING ("tenantId" = 1)',
]

_HELD = """
SELECT l.mode
FROM pg_locks AS l
WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted
  AND l.relation = %s
"""
_ORDER = [
    "AccessShareLock",
    "RowShareLock",
    "RowExclusiveLock",
    "ShareUpdateExclusiveLock",
    "ShareLock",
    "ShareRowExclusiveLock",
    "ExclusiveLock",
    "AccessExclusiveLock",
]


def _quoted(qualified: str) -> str:
    schema, _, name = qualified.partition(".")
    return f'"{schema}"."{name}"'


@pytest.mark.parametrize("sql", STATEMENTS)
def test_lock_mode_matches_pg_locks(baseline_db: str, sql: str) -> None:
    effect = analyse_sql(sql)
    assert effect.locks, "every statement here locks an existing table"
    with psycopg.connect(baseline_db) as conn:
        # Resolve the oids first: a dropped index has no name any more once the statement ran.
        oids = {
            lock.table: conn.execute("SELECT to_regclass(%s)::oid", (_quoted(lock.table),)).fetchone()
            for lock in effect.locks
        }
        conn.execute(sql)  # type: ignore[arg-type]
        for lock in effect.locks:
            held = {row[0] for row in conn.execute(_HELD, (oids[lock.table][0],))}  # type: ignore[index]
            expected = lock.mode.pg_locks_name
            assert expected in held, f"{lock.table}: expected {expected}, server holds {held}"
            assert max(_ORDER.index(mode) for mode in held) == _ORDER.index(expected), "nothing stronger is held"
        conn.rollback()
