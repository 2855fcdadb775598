"""apply --online's table copy (bhq_migrate/migrate/online_copy.py) on a real server.

Writes during the copy are made at named checkpoints (a hook), never at times: each test knows exactly which
phase its changes meet.
"""

from __future__ import annotations

import itertools
import random
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from bhq_migrate.errors import OnlineRetypeRefused, PlanFailed
from bhq_migrate.migrate import online_copy
from bhq_migrate.migrate.online import qualify
from bhq_migrate.migrate.runner import ApplyOptions, apply
from tests.helpers import query, scalar
from tests.migrate.test_online import leftovers
from tests.migrate.test_online_apply import WAIT, online, steps_rows

INVOICE_ROWS = """SELECT id, "tenantId", "invoiceNumber", status, "clientPartyId", "amountCents"::bigint,
                         "balanceCents"::bigint, "depositCents"::bigint, "dueAt", "createdAt", "updatedAt"
                  FROM "Invoice" ORDER BY id"""


def _column_types(url: str, table: str) -> list[tuple[Any, ...]]:
    return query(url, "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = "
                      "to_regclass(%s) AND attnum > 0 AND NOT attisdropped ORDER BY attnum", (f'"{table}"',))


def _copying(url: str, table: str) -> bool:
    """Whether ``table`` is being copied right now (the checkpoints' labels name steps, not tables)."""
    return bool(scalar(url, "SELECT to_regclass(%s) IS NOT NULL", (f'"{table}{online_copy.COPY_SUFFIX}"',)))


@pytest.mark.parametrize("catch_up", ["in batches", "in the swap"])
def test_every_change_made_during_the_copy_is_in_the_table_after_the_swap(
    baseline_db: str, hooked: list[Callable[[str], None]], monkeypatch: pytest.MonkeyPatch, catch_up: str
) -> None:
    if catch_up == "in batches":
        # One logged key per catch-up batch: the swap of two unique invoice numbers below then breaks the copy's
        # unique index for a moment, and the catch-up must fall back to replaying the whole log.
        monkeypatch.setattr(online_copy, "CATCH_UP_ROWS", 1)
        monkeypatch.setattr(online_copy, "CATCH_UP_BATCH", 1)
    # else fewer changes than CATCH_UP_ROWS: the swap replays them all under its lock
    first, second = query(baseline_db, """SELECT min(id), max(id) FROM "Invoice" WHERE id BETWEEN 6 AND 150
                                          GROUP BY "tenantId" HAVING count(*) > 1 ORDER BY 1 LIMIT 1""")[0]
    expected: list[list[tuple[Any, ...]]] = []
    columns_before = [name for name, _ in _column_types(baseline_db, "Invoice")]

    def write(label: str) -> None:
        if not _copying(baseline_db, "Invoice"):
            return
        with psycopg.connect(baseline_db, autocommit=True) as conn:
            if label.endswith("copy batch 1 committed"):  # rows already copied, rows not yet copied, new rows
                conn.execute("""UPDATE "Invoice" SET "amountCents" = "amountCents" + 1 WHERE id IN (1, 2, 199)""")
                conn.execute("""DELETE FROM "Payment" WHERE "invoiceId" IN (3, 198)""")
                conn.execute("""DELETE FROM "Invoice" WHERE id IN (3, 198)""")
                conn.execute("""INSERT INTO "Invoice" ("tenantId", "invoiceNumber", "amountCents", "balanceCents",
                                "updatedAt") VALUES (1, 'during-copy', 5, 5, now())""")
            elif label.endswith("copy vacuumed"):  # after the bulk copy: only the catch-up can carry these
                with conn.transaction():
                    a, b = (row[0] for row in conn.execute(
                        """SELECT "invoiceNumber" FROM "Invoice" WHERE id IN (%s, %s) ORDER BY id""",
                        (first, second)).fetchall())
                    conn.execute("""UPDATE "Invoice" SET "invoiceNumber" = 'swap' WHERE id = %s""", (first,))
                    conn.execute("""UPDATE "Invoice" SET "invoiceNumber" = %s WHERE id = %s""", (a, second))
                    conn.execute("""UPDATE "Invoice" SET "invoiceNumber" = %s WHERE id = %s""", (b, first))
                conn.execute("""UPDATE "Invoice" SET status = 'paid', "amountCents" = 2147483647 WHERE id = 20""")
                conn.execute("""INSERT INTO "Invoice" ("tenantId", "invoiceNumber", "amountCents", "balanceCents",
                                "updatedAt") VALUES (1, 'after-copy', 6, 6, now())""")
                expected.append(query(baseline_db, INVOICE_ROWS))

    hooked.append(write)
    result = apply(baseline_db, online())

    assert expected and query(baseline_db, INVOICE_ROWS) == expected[0]
    assert [done.table for done in result.online] == ['"Payment"', '"Invoice"']
    types = dict(_column_types(baseline_db, "Invoice"))
    assert [name for name, _ in _column_types(baseline_db, "Invoice")][:len(columns_before)] == columns_before
    assert types["amountCents"] == types["balanceCents"] == types["depositCents"] == "bigint"
    assert leftovers(baseline_db) == [] and steps_rows(baseline_db) == []
    fks = query(baseline_db, """SELECT conname, convalidated FROM pg_constraint WHERE contype = 'f'
                                AND conname IN ('Payment_invoiceId_fkey', 'Invoice_tenantId_fkey') ORDER BY 1""")
    assert fks == [("Invoice_tenantId_fkey", True), ("Payment_invoiceId_fkey", True)]
    assert scalar(baseline_db, """SELECT pg_get_serial_sequence('"Invoice"', 'id')""") == 'public."Invoice_id_seq"'


def test_truncate_is_refused_while_the_copy_runs(baseline_db: str, hooked: list[Callable[[str], None]]) -> None:
    refused: list[str] = []

    def truncate(label: str) -> None:
        if label.endswith("copy batch 1 committed") and _copying(baseline_db, "Payment") and not refused:
            with psycopg.connect(baseline_db, autocommit=True) as conn:
                try:
                    conn.execute('TRUNCATE "Payment"')
                except psycopg.errors.RaiseException as exc:
                    refused.append(str(exc))

    hooked.append(truncate)
    apply(baseline_db, online())
    assert refused and "copying this table" in refused[0]
    assert scalar(baseline_db, 'SELECT count(*) FROM "Payment"') == 100


def test_a_table_that_changes_during_the_copy_is_not_swapped_and_a_rerun_carries_the_change(
    baseline_db: str, hooked: list[Callable[[str], None]]
) -> None:
    def add_an_index(label: str) -> None:
        if label.endswith("copy batch 1 committed") and _copying(baseline_db, "Invoice") and not scalar(
                baseline_db, "SELECT to_regclass('\"Invoice_dueAt_idx\"')"):
            query(baseline_db, 'CREATE INDEX "Invoice_dueAt_idx" ON "Invoice" ("dueAt")')

    hooked.append(add_an_index)
    with pytest.raises(OnlineRetypeRefused, match="changed during the copy"):
        apply(baseline_db, online())
    hooked.clear()
    apply(baseline_db, online())

    assert query(baseline_db, """SELECT indexdef FROM pg_indexes WHERE indexname = 'Invoice_dueAt_idx'""") == [
        ('CREATE INDEX "Invoice_dueAt_idx" ON public."Invoice" USING btree ("dueAt")',)]
    assert leftovers(baseline_db) == [] and steps_rows(baseline_db) == []


def test_a_column_the_plan_adds_that_appears_on_the_table_by_hand_is_copied_as_the_table_has_it(
    baseline_db: str, hooked: list[Callable[[str], None]]
) -> None:
    # 001 adds "deletedAt" (timestamp) to the copy of "Invoice" as it creates it. Someone adds it by hand, as
    # text, while the copy runs: the swap refuses, and the rerun must not resume the copy, whose column has the
    # plan's type, but start again from the table as it is, as the plain apply's ADD COLUMN IF NOT EXISTS would.
    def add_the_column(label: str) -> None:
        if label.endswith("copy batch 1 committed") and _copying(baseline_db, "Invoice") and not scalar(
                baseline_db, """SELECT count(*) FROM pg_attribute WHERE attrelid = '"Invoice"'::regclass
                                AND attname = 'deletedAt'"""):
            query(baseline_db, 'ALTER TABLE "Invoice" ADD COLUMN "deletedAt" text')

    hooked.append(add_the_column)
    with pytest.raises(OnlineRetypeRefused, match="changed during the copy"):
        apply(baseline_db, online())
    hooked.clear()
    texts: list[str] = []
    apply(baseline_db, online(), lambda event: texts.append(event.text or ""))

    assert any("the table changed since its copy was started" in text for text in texts)
    assert dict(_column_types(baseline_db, "Invoice"))["deletedAt"] == "text"
    assert leftovers(baseline_db) == [] and steps_rows(baseline_db) == []


def test_privileges_comments_and_settings_are_carried_over(baseline_db: str) -> None:
    role = "bhq_copy_reader"
    if not scalar(baseline_db, "SELECT count(*) FROM pg_roles WHERE rolname = %s", (role,)):
        query(baseline_db, f"CREATE ROLE {role}")
    setup = [f'GRANT SELECT, UPDATE ON "Invoice" TO {role}', """COMMENT ON TABLE "Invoice" IS 'bills'""",
             """COMMENT ON INDEX "Invoice_tenantId_idx" IS 'by tenant'""",
             'ALTER TABLE "Invoice" SET (fillfactor = 90)',
             'ALTER TABLE "Invoice" ALTER COLUMN "status" SET STATISTICS 500']
    for statement in setup:
        query(baseline_db, statement)
    facts = """SELECT c.relacl::text, obj_description(c.oid, 'pg_class'), c.reloptions::text,
                      obj_description('"Invoice_tenantId_idx"'::regclass, 'pg_class'),
                      (SELECT attstattarget FROM pg_attribute WHERE attrelid = c.oid AND attname = 'status')
               FROM pg_class AS c WHERE c.oid = '"Invoice"'::regclass"""
    before = query(baseline_db, facts)

    result = apply(baseline_db, online())

    assert [done.table for done in result.online] == ['"Payment"', '"Invoice"']
    assert query(baseline_db, facts) == before
    assert leftovers(baseline_db) == []


def test_a_table_the_copy_cannot_carry_falls_back_to_shadow_columns_and_says_why(baseline_db: str) -> None:
    query(baseline_db, 'ALTER TABLE "Invoice" ENABLE ROW LEVEL SECURITY')
    texts: list[str] = []
    plan = apply(baseline_db, online(dry_run=True)).steps[0]
    planned = {step.table: step for step in plan.steps if step.kind == "retype"}
    assert planned['"Payment"'].lock == "ACCESS SHARE" and "copy of the table" in planned['"Payment"'].description
    assert planned['"Invoice"'].lock == "ROW EXCLUSIVE"
    # Only the copied table needs a second copy's worth of disk; shadow columns grow the table in place.
    assert not planned['"Invoice"'].copied and plan.copy_peak_bytes == planned['"Payment"'].total_bytes
    assert "not copied: row-level security" in planned['"Invoice"'].description

    apply(baseline_db, online(), lambda event: texts.append(event.text or ""))

    assert any('"Invoice": shadow columns instead of a copy of the table, because of row-level security' in text
               for text in texts)
    assert not any('"Payment": shadow columns' in text for text in texts)
    # The plan's indexes the copy would have built: "Payment"'s on its copy, "Invoice"'s concurrently by their
    # own steps, since "Invoice" was not copied.
    assert 'index Payment_invoiceId_status_idx was built on the copy of "Payment" by step 1' in texts
    assert not any('on the copy of "Invoice"' in text for text in texts)
    assert scalar(baseline_db, "SELECT count(*) FROM pg_index WHERE indisvalid AND indexrelid IN "
                               "('\"Invoice_tenantId_status_createdAt_idx\"'::regclass, "
                               "'\"Invoice_clientPartyId_status_idx\"'::regclass)") == 2
    assert dict(_column_types(baseline_db, "Invoice"))["amountCents"] == "bigint"
    assert leftovers(baseline_db) == []


def test_a_table_owned_by_another_role_is_copied_and_keeps_its_owner(baseline_db: str) -> None:
    """The usual production set-up: the application's role owns the tables, a superuser applies the plans."""
    role = "bhq_copy_owner"
    if not scalar(baseline_db, "SELECT count(*) FROM pg_roles WHERE rolname = %s", (role,)):
        query(baseline_db, f"CREATE ROLE {role}")
    for statement in (f'ALTER TABLE "Invoice" OWNER TO {role}', f'ALTER SEQUENCE "Invoice_id_seq" OWNER TO {role}'):
        query(baseline_db, statement)
    assert scalar(baseline_db, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")  # the applying role
    texts: list[str] = []

    result = apply(baseline_db, online(), lambda event: texts.append(event.text or ""))

    assert [done.table for done in result.online] == ['"Payment"', '"Invoice"']
    assert not any("shadow columns" in text for text in texts)
    owners = query(baseline_db, """SELECT relname::text, pg_get_userbyid(relowner)::text FROM pg_class
                                   WHERE relname IN ('Invoice', 'Invoice_pkey', 'Invoice_tenantId_idx') ORDER BY 1""")
    assert owners == [("Invoice", role), ("Invoice_pkey", role), ("Invoice_tenantId_idx", role)]
    assert scalar(baseline_db, """SELECT pg_get_serial_sequence('"Invoice"', 'id')""") == 'public."Invoice_id_seq"'
    assert leftovers(baseline_db) == []


def _payment_keys(url: str) -> list[tuple[Any, ...]]:
    return query(url, """SELECT conname::text, convalidated FROM pg_constraint
                         WHERE conrelid = '"Payment"'::regclass AND contype = 'f' ORDER BY 1""")


def test_a_foreign_key_that_a_later_copy_moves_again_is_validated_once_after_it(
    baseline_db: str, hooked: list[Callable[[str], None]],
) -> None:
    """Plan 001 copies "Payment", then "Invoice": each swap adds "Payment_invoiceId_fkey" back NOT VALID. Its
    validation (a join of both tables) waits for the second swap instead of running after each."""
    between: list[list[tuple[Any, ...]]] = []
    hooked.append(lambda label: between.append(_payment_keys(baseline_db)) if label == "001/1 done" else None)
    labels: list[str] = []
    hooked.append(labels.append)
    texts: list[str] = []

    apply(baseline_db, online(), lambda event: texts.append(event.text or ""))

    # Each copy was vacuumed and analyzed before its swap; no second VACUUM of the swapped table follows.
    assert [label for label in labels if label.endswith("copy vacuumed")] == ["001/1 copy vacuumed",
                                                                                 "001/2 copy vacuumed"]
    assert not [label for label in labels if label.endswith(" vacuumed") and "copy" not in label]

    # After the "Payment" step: its key to "Tenant" validated, the one to "Invoice" left for the "Invoice" step.
    assert between == [[("Payment_invoiceId_fkey", False), ("Payment_tenantId_fkey", True)]]
    validated = [text for text in texts if text.startswith("validating foreign key")]
    assert validated.count('validating foreign key Payment_invoiceId_fkey on public."Payment"') == 1
    assert len(validated) == len(set(validated))
    assert _payment_keys(baseline_db) == [("Payment_invoiceId_fkey", True), ("Payment_tenantId_fkey", True)]
    assert leftovers(baseline_db) == []


def test_a_deferred_foreign_key_is_validated_when_the_later_table_is_not_copied_after_all(
    baseline_db: str, hooked: list[Callable[[str], None]],
) -> None:
    """Planned as a copy, "Invoice" meets a blocker once the "Payment" step is done and gets shadow columns: no
    second swap comes, and the key left for it is validated at the end of its step all the same."""
    def block(label: str) -> None:
        if label == "001/1 done":
            query(baseline_db, 'ALTER TABLE "Invoice" ENABLE ROW LEVEL SECURITY')

    hooked.append(block)
    labels: list[str] = []
    hooked.append(labels.append)
    texts: list[str] = []

    apply(baseline_db, online(), lambda event: texts.append(event.text or ""))

    assert any('"Invoice": shadow columns instead of a copy of the table' in text for text in texts)
    # The backfill left a dead version of every row: that table is vacuumed after its swap.
    assert "001/2 vacuumed" in labels and "001/1 vacuumed" not in labels
    assert 'validating foreign key Payment_invoiceId_fkey on public."Payment"' in texts
    assert _payment_keys(baseline_db) == [("Payment_invoiceId_fkey", True), ("Payment_tenantId_fkey", True)]
    assert leftovers(baseline_db) == []


def test_a_foreign_key_dropped_while_its_validation_waits_is_forgotten_not_failed_on(
    baseline_db: str, hooked: list[Callable[[str], None]],
) -> None:
    """The "Payment" step leaves "Payment_invoiceId_fkey" NOT VALID for the "Invoice" swap; dropped meanwhile,
    there is nothing to validate, and its record must not make the run fail or linger."""
    def drop(label: str) -> None:
        if label == "001/1 done":
            query(baseline_db, 'ALTER TABLE "Payment" DROP CONSTRAINT "Payment_invoiceId_fkey"')

    hooked.append(drop)
    texts: list[str] = []

    apply(baseline_db, online(), lambda event: texts.append(event.text or ""))

    assert 'foreign key Payment_invoiceId_fkey on public."Payment" no longer exists: nothing to validate' in texts
    assert _payment_keys(baseline_db) == [("Payment_tenantId_fkey", True)]
    assert leftovers(baseline_db) == []


LEDGER = """
CREATE TABLE "Ledger" (
    id integer GENERATED ALWAYS AS IDENTITY (START WITH 10 INCREMENT BY 5) PRIMARY KEY,
    "tenantId" integer NOT NULL,
    "amountCents" integer NOT NULL,
    label text GENERATED ALWAYS AS ('tenant ' || "tenantId") STORED
);
INSERT INTO "Ledger" ("tenantId", "amountCents") SELECT n %% 7, n FROM generate_series(1, 300) AS n;
DO $$ BEGIN CREATE ROLE bhq_ledger_reader; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
GRANT SELECT ("tenantId", "amountCents"), UPDATE ("amountCents") ON "Ledger" TO bhq_ledger_reader;
"""


def _ledger_shape(url: str) -> list[tuple[Any, ...]]:
    """The table's columns (type, identity, generation, privileges) and its identity sequence: name, type and
    options."""
    return query(url, """
        SELECT a.attname::text, format_type(a.atttypid, a.atttypmod),
               concat_ws(' ', a.attidentity, a.attgenerated, pg_get_expr(d.adbin, d.adrelid), a.attacl::text)
        FROM pg_attribute AS a LEFT JOIN pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attrelid = '"Ledger"'::regclass AND a.attnum > 0 AND NOT a.attisdropped
        UNION ALL
        SELECT s.seqrelid::regclass::text, s.seqtypid::regtype::text,
               concat_ws(' ', s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle)
        FROM pg_sequence AS s WHERE s.seqrelid = pg_get_serial_sequence('"Ledger"', 'id')::regclass
        ORDER BY 1""")


@pytest.mark.parametrize("column", ["amountCents", "id"])
def test_identity_generated_and_granted_columns_are_copied_and_the_sequence_keeps_its_name_and_position(
    empty_db: str, baseline_db: str, tmp_path: Path, column: str, hooked: list[Callable[[str], None]],
) -> None:
    """GENERATED ALWAYS refuses the copy's explicit values without OVERRIDING SYSTEM VALUE (the copy's batches
    and the catch-up's replay), and the copy's own identity sequence must carry on where the table's stopped,
    under the table's sequence's name. A generated column refuses any value: the copy computes it. Column
    privileges are granted again on the copy."""
    (tmp_path / "001_ledger_bigint.sql").write_text(
        f'ALTER TABLE "Ledger" ALTER COLUMN "{column}" TYPE BIGINT;\n', encoding="utf-8")
    for url in (empty_db, baseline_db):
        query(url, LEDGER.replace("%%", "%"))
    written = ['INSERT INTO "Ledger" ("tenantId", "amountCents") VALUES (3, 7)',
               'UPDATE "Ledger" SET "amountCents" = -1 WHERE id = 15']

    def write_during_the_copy(label: str) -> None:
        if label.endswith("copy batch 2 committed") and _copying(baseline_db, "Ledger"):
            for statement in written:
                query(baseline_db, statement)

    hooked.append(write_during_the_copy)
    for statement in written:  # the same rows on the database the plain apply migrates
        query(empty_db, statement)
    rows = 'SELECT id, "tenantId", "amountCents", label FROM "Ledger" ORDER BY id'
    options = ApplyOptions(plans_dir=tmp_path, lint=False, online_batch_rows=40, online_batch_ms=0)
    texts: list[str] = []

    result = apply(baseline_db, options.model_copy(update={"online": True}), lambda e: texts.append(e.text or ""))
    apply(empty_db, options)  # the plain apply's end state, to compare with

    assert [done.table for done in result.online] == ['"Ledger"']
    assert not any("shadow columns" in text for text in texts)
    assert query(baseline_db, rows) == query(empty_db, rows)
    assert len(query(baseline_db, rows)) == 301 and (15, 2, -1, "tenant 2") in query(baseline_db, rows)
    assert _ledger_shape(baseline_db) == _ledger_shape(empty_db)
    assert '"Ledger_id_seq"' in {row[0] for row in _ledger_shape(baseline_db)}  # the table's sequence's name
    assert "bhq_ledger_reader=rw/" in dict((row[0], row[2]) for row in _ledger_shape(baseline_db))["amountCents"]
    insert = 'INSERT INTO "Ledger" ("tenantId", "amountCents") VALUES (1, 1) RETURNING id'
    assert query(baseline_db, insert) == query(empty_db, insert) == [(10 + 301 * 5,)]
    assert leftovers(baseline_db) == []


@pytest.mark.parametrize(("blocker", "why"), [
    pytest.param('GRANT USAGE ON SEQUENCE "Ledger_id_seq" TO PUBLIC',
                 "identity sequence Ledger_id_seq (privileges or a comment of its own)", id="identity sequence grant"),
    pytest.param('GRANT SELECT ("tenantId") ON "Ledger" TO bhq_ledger_reader WITH GRANT OPTION; '
                 'SET ROLE bhq_ledger_reader; GRANT SELECT ("tenantId") ON "Ledger" TO PUBLIC; RESET ROLE',
                 'column "tenantId" (privileges granted by bhq_ledger_reader)', id="column grant by a non-owner"),
])
def test_what_the_copy_would_lose_leaves_the_table_to_shadow_columns_and_says_why(
    baseline_db: str, tmp_path: Path, blocker: str, why: str,
) -> None:
    """The copy's identity sequence is a new one: grants on the table's would be lost. GRANT at the swap is made
    by the owner: a privilege another role granted could not be made again as it. (Shadow columns cannot take a
    column with privileges of its own: the Ledger's are revoked first.)"""
    (tmp_path / "001_ledger_bigint.sql").write_text(
        'ALTER TABLE "Ledger" ALTER COLUMN "amountCents" TYPE BIGINT;\n', encoding="utf-8")
    query(baseline_db, LEDGER.replace("%%", "%"))
    query(baseline_db, 'REVOKE ALL ("tenantId", "amountCents") ON "Ledger" FROM bhq_ledger_reader')
    query(baseline_db, blocker)
    texts: list[str] = []

    apply(baseline_db, ApplyOptions(plans_dir=tmp_path, lint=False, online=True, online_batch_ms=0),
          lambda e: texts.append(e.text or ""))

    assert any(f'"Ledger": shadow columns instead of a copy of the table, because of {why}' in text
               for text in texts)
    assert dict(_column_types(baseline_db, "Ledger"))["amountCents"] == "bigint"
    assert leftovers(baseline_db) == []


def test_a_primary_key_referenced_by_other_tables_is_retyped_online_by_the_copy(
    baseline_db: str, tmp_path: Path
) -> None:
    """Shadow columns cannot take a column an index or a foreign key depends on; the copy rebuilds both."""
    (tmp_path / "001_bigint_keys.sql").write_text(
        'ALTER TABLE "Invoice" ALTER COLUMN "id" TYPE BIGINT;\n', encoding="utf-8")
    options = ApplyOptions(plans_dir=tmp_path, online=True, lint=False, online_batch_rows=20, online_batch_ms=0)
    with psycopg.connect(baseline_db) as conn:  # shadow columns could not take it
        assert "is used by" in str(qualify(conn, ("public", "Invoice"), ["id"]))
    before = query(baseline_db, INVOICE_ROWS)
    planned = apply(baseline_db, options.model_copy(update={"dry_run": True})).steps[0].steps
    assert [(step.kind, step.lock) for step in planned] == [("retype", "ACCESS SHARE")]

    apply(baseline_db, options)

    assert query(baseline_db, INVOICE_ROWS) == before
    assert dict(_column_types(baseline_db, "Invoice"))["id"] == "bigint"
    assert query(baseline_db, """SELECT conname, convalidated, pg_get_constraintdef(oid) FROM pg_constraint
                                 WHERE conname = 'Payment_invoiceId_fkey'""") == [(
        "Payment_invoiceId_fkey", True,
        'FOREIGN KEY ("invoiceId") REFERENCES "Invoice"(id) ON UPDATE CASCADE ON DELETE RESTRICT')]
    assert scalar(baseline_db, """SELECT indisprimary FROM pg_index WHERE indexrelid = '"Invoice_pkey"'::regclass""")
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        query(baseline_db, """INSERT INTO "Payment" ("tenantId", "invoiceId", "amountCents", "updatedAt")
                              VALUES (1, 999999999, 1, now())""")
    assert leftovers(baseline_db) == []


def test_a_catch_up_that_cannot_keep_up_gives_up_naming_the_table_and_a_rerun_resumes(
    baseline_db: str, hooked: list[Callable[[str], None]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(online_copy, "CATCH_UP_ROWS", 1)
    monkeypatch.setattr(online_copy, "CATCH_UP_BATCH", 1)
    monkeypatch.setattr(online_copy, "CATCH_UP_PASSES", 3)

    def outpace(label: str) -> None:  # each replayed change is followed by two new ones
        if label.endswith("copy vacuumed") or (" catch-up " in label and label.endswith("committed")):
            query(baseline_db, 'UPDATE "Payment" SET status = status WHERE id IN (1, 2)')

    hooked.append(outpace)
    with pytest.raises(PlanFailed, match=r'online copy of "Payment": .* still waiting after 3 catch-up batches'):
        apply(baseline_db, online())
    assert _copying(baseline_db, "Payment")  # kept for the rerun
    hooked.clear()
    monkeypatch.setattr(online_copy, "CATCH_UP_PASSES", 1_000)
    apply(baseline_db, online())
    assert leftovers(baseline_db) == [] and steps_rows(baseline_db) == []


@pytest.mark.slow
def test_concurrent_writers_lose_nothing_through_the_copy_and_the_swap(baseline_db: str) -> None:
    """Three writers run through the whole apply: increments, inserts and deletes whose effect on the row count
    and the money sum is known exactly from what committed, whatever the interleaving. (Unprepared statements: a
    prepared one would fail once with 0A000 after the swap, which is the application's to handle.)"""
    start = query(baseline_db, 'SELECT count(*), sum("amountCents") FROM "Invoice"')[0]
    stop, warmed = threading.Event(), threading.Barrier(4, timeout=WAIT)
    done = {"increments": 0, "inserted": 0, "inserted_cents": 0, "deleted": 0, "deleted_cents": 0}
    lock = threading.Lock()

    def writer(kind: str) -> None:
        rng = random.Random(kind)
        with psycopg.connect(baseline_db, autocommit=True) as conn:
            for number in itertools.count():
                if number == 20:
                    warmed.wait()  # every writer is running before the apply starts
                if stop.is_set() and number > 20:
                    return
                try:
                    if kind == "increment":
                        conn.execute('UPDATE "Invoice" SET "amountCents" = "amountCents" + 1 WHERE id = %s',
                                     (rng.randint(1, 150),), prepare=False)
                        with lock:
                            done["increments"] += 1
                    elif kind == "insert":
                        cents = rng.randint(1, 1000)
                        conn.execute("""INSERT INTO "Invoice" ("tenantId", "invoiceNumber", "amountCents",
                                        "balanceCents", "updatedAt") VALUES (1, %s, %s, 0, now())""",
                                     (f"w-{number}", cents), prepare=False)
                        with lock:
                            done["inserted"] += 1
                            done["inserted_cents"] += cents
                    else:
                        row = conn.execute("""DELETE FROM "Invoice" WHERE id = (SELECT min(id) FROM "Invoice" AS i
                                              WHERE id > 150 AND NOT EXISTS (SELECT FROM "Payment" AS p
                                              WHERE p."invoiceId" = i.id)) RETURNING "amountCents" """,
                                           prepare=False).fetchone()
                        if row is not None:
                            with lock:
                                done["deleted"] += 1
                                done["deleted_cents"] += int(row[0])
                except psycopg.errors.LockNotAvailable:
                    continue  # a lock_timeout the server sets for this role would roll it back: nothing counted

    threads = [threading.Thread(target=writer, args=(kind,)) for kind in ("increment", "insert", "delete")]
    for thread in threads:
        thread.start()
    try:
        warmed.wait()
        # Writers in tight loops keep the tables busier than any application: more, quicker retries of the swap
        # (each bounded, see online_copy._lock_all) keep a busy CI machine from failing the run on lock timeouts.
        apply(baseline_db, online(retries=12, retry_backoff=0.02))
    finally:
        stop.set()
        for thread in threads:
            thread.join(WAIT)

    count, cents = query(baseline_db, 'SELECT count(*), sum("amountCents") FROM "Invoice"')[0]
    assert done["increments"] > 0 and done["inserted"] > 0 and done["deleted"] > 0
    assert count == start[0] + done["inserted"] - done["deleted"]
    assert cents == start[1] + done["increments"] + done["inserted_cents"] - done["deleted_cents"]
    assert dict(_column_types(baseline_db, "Invoice"))["amountCents"] == "bigint"
    assert leftovers(baseline_db) == []


def test_a_failing_vacuum_of_the_copy_is_one_line_and_a_rerun_resumes(
    baseline_db: str, hooked: list[Callable[[str], None]]
) -> None:
    def lose_the_copy(label: str) -> None:  # the last index built (the plan's own): next comes the VACUUM
        if label.endswith("copy index Payment_invoiceId_status_idx built"):
            query(baseline_db, 'DROP TABLE "Payment__bhq_copy"')

    hooked.append(lose_the_copy)
    with pytest.raises(PlanFailed, match=r"VACUUM \(ANALYZE\) of the copy failed: .*does not exist.*rerun"):
        apply(baseline_db, online())
    hooked.clear()
    apply(baseline_db, online())
    assert leftovers(baseline_db) == [] and steps_rows(baseline_db) == []
