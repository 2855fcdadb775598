"""`apply --online-retype`: the INT -> BIGINT retypes done with shadow columns, a copy trigger, batched backfill
and a short swap, before the plan's transaction. Same end state as the normal rewrite, without the rewrite."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

import psycopg
import pytest

from bhq_migrate.errors import ConfigError, PreflightFailed
from bhq_migrate.migrate import online as online_module
from bhq_migrate.migrate.online import SHADOW_SUFFIX, TRIGGER_NAME, hot_slices
from bhq_migrate.migrate.runner import ApplyOptions, Event, apply
from bhq_migrate.verify import VerifyOptions, verify
from tests.conftest import PLANS_DIR
from tests.helpers import REPO_ROOT, column_type, query, scalar, wait_for_query

MONEY = {"Invoice": ("amountCents", "balanceCents", "depositCents"), "Payment": ("amountCents",)}
BATCH = 50  # the small sample has 200 invoices and 100 payments: several batches per table


def online(**extra: Any) -> ApplyOptions:
    return ApplyOptions(plans_dir=PLANS_DIR, online_retype=True, online_batch_rows=BATCH, **extra)


def money_rows(url: str, table: str) -> list[tuple[Any, ...]]:
    columns = ", ".join(f'"{c}"' for c in MONEY[table])
    return query(url, f'SELECT "id", {columns} FROM "{table}" ORDER BY "id"')


def columns_by_name(url: str) -> set[tuple[Any, ...]]:
    """Every user column's type, nullability, default and comment, keyed by name (order deliberately ignored)."""
    return set(query(url, """
        SELECT c.table_schema, c.table_name, c.column_name, c.data_type, c.is_nullable, c.column_default,
               col_description(format('%I.%I', c.table_schema, c.table_name)::regclass, c.ordinal_position::int)
        FROM information_schema.columns AS c WHERE c.table_schema NOT IN ('pg_catalog', 'information_schema')
    """))


def indexes_and_constraints(url: str) -> set[tuple[Any, ...]]:
    return set(query(url, """
        SELECT 'index', schemaname || '.' || indexname, indexdef FROM pg_indexes
        WHERE schemaname NOT IN ('pg_catalog', 'information_schema')
        UNION ALL
        SELECT 'constraint', conrelid::regclass::text || '.' || conname, pg_get_constraintdef(oid)
        FROM pg_constraint WHERE connamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
    """))


def leftovers(url: str) -> list[tuple[Any, ...]]:
    pending = query(url, "SELECT table_sql, constraint_name FROM bhq_migrate.copy_validations") if scalar(
        url, "SELECT to_regclass('bhq_migrate.copy_validations')") else []
    return pending + query(url, """
        SELECT attrelid::regclass::text, attname FROM pg_attribute
        WHERE attname LIKE %s AND NOT attisdropped
        UNION ALL SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE tgname = %s
        UNION ALL SELECT proname::text, '' FROM pg_proc WHERE proname LIKE '%%bhq_online_retype'
        UNION ALL SELECT proname::text, '' FROM pg_proc WHERE proname LIKE '%%bhq_online_copy'
        UNION ALL SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE tgname LIKE 'zzz_bhq_online_copy%%'
        UNION ALL SELECT relname::text, '' FROM pg_class WHERE relname ~ 'bhq_(copy|log|old)'
        UNION ALL SELECT conrelid::regclass::text, conname FROM pg_constraint WHERE NOT convalidated
        """, (f"%{SHADOW_SUFFIX}", TRIGGER_NAME))


def relfilenode(url: str, table: str) -> int:
    return int(scalar(url, "SELECT pg_relation_filenode(%s::regclass)", (f'"{table}"',)))


def test_online_retype_reaches_the_same_end_state_as_the_normal_rewrite(
    baseline_db: str, migrated_db: str
) -> None:
    query(baseline_db, """COMMENT ON COLUMN "Invoice"."balanceCents" IS 'what is still owed'""")
    query(migrated_db, """COMMENT ON COLUMN "Invoice"."balanceCents" IS 'what is still owed'""")
    query(baseline_db, """ALTER TABLE "Invoice" ALTER COLUMN "depositCents" SET DEFAULT 0""")
    query(migrated_db, """ALTER TABLE "Invoice" ALTER COLUMN "depositCents" SET DEFAULT 0""")
    before = {table: money_rows(baseline_db, table) for table in MONEY}

    result = apply(baseline_db, online())

    assert [(done.table, done.columns) for done in result.online] == [
        ('"Payment"', ["amountCents"]), ('"Invoice"', ["amountCents", "balanceCents", "depositCents"])]
    assert columns_by_name(baseline_db) == columns_by_name(migrated_db)
    assert indexes_and_constraints(baseline_db) == indexes_and_constraints(migrated_db)
    assert {table: money_rows(baseline_db, table) for table in MONEY} == before
    assert leftovers(baseline_db) == []
    assert query(baseline_db, "SELECT id FROM bhq_migrate.history ORDER BY id") == [("001",), ("002",)]
    assert verify(baseline_db, VerifyOptions(plans_dir=PLANS_DIR)).ok


def test_online_retype_never_rewrites_the_table_and_copies_at_most_one_batch_per_transaction(
    baseline_db: str,
) -> None:
    """Structural form of "no long ACCESS EXCLUSIVE": the table's storage file never changes (no rewrite, so the
    plan's own ALTER ... TYPE bigint was a catalog no-op), and each backfill transaction covers one key range of
    at most BATCH rows. Timings are in bench/RESULTS.md."""
    files = {table: relfilenode(baseline_db, table) for table in MONEY}
    copied: list[int] = []
    counts = {table: scalar(baseline_db, f'SELECT count(*) FROM "{table}"') for table in MONEY}

    def watch(event: Event) -> None:
        if event.kind == "online" and event.total:
            low, high = (int(k.replace(",", "")) for k in event.text.rsplit(" ", 1)[1].split(".."))
            copied.append(high - low + 1)

    result = apply(baseline_db, online(), watch)

    assert {table: relfilenode(baseline_db, table) for table in MONEY} == files
    assert all(column_type(baseline_db, t, c) == "bigint" for t, columns in MONEY.items() for c in columns)
    assert copied and max(copied) <= BATCH
    assert sum(done.rows_backfilled for done in result.online) == sum(counts.values())


def test_the_normal_rewrite_changes_the_storage_file_the_online_path_keeps(baseline_db: str) -> None:
    """The check above can fail: without --online-retype the plan rewrites "Invoice" into a new file."""
    before = relfilenode(baseline_db, "Invoice")
    apply(baseline_db, ApplyOptions(plans_dir=PLANS_DIR))
    assert relfilenode(baseline_db, "Invoice") != before


def test_rows_written_during_the_backfill_end_up_in_the_new_columns(baseline_db: str) -> None:
    """Between batches a writer inserts, updates (in copied and not yet copied ranges) and deletes rows."""
    expected = {row[0]: row[1:] for row in money_rows(baseline_db, "Invoice")}
    high_id = max(expected)
    writes = 0
    with psycopg.connect(baseline_db, autocommit=True) as writer:

        def write_between_batches(event: Event) -> None:
            nonlocal writes
            if not (event.kind == "online" and event.total and event.text.startswith('"Invoice"')):
                return
            writes += 1
            done_id, pending_id = 1 + (writes - 1) * BATCH, high_id - writes  # one copied, one not yet copied
            for row_id in (done_id, pending_id):
                writer.execute('UPDATE "Invoice" SET "amountCents" = %s, "depositCents" = NULL WHERE id = %s',
                               (1_000 + writes, row_id))
                expected[row_id] = (1_000 + writes, expected[row_id][1], None)
            new_id = writer.execute(
                'INSERT INTO "Invoice" ("tenantId", "invoiceNumber", "amountCents", "balanceCents", "depositCents", '
                '"updatedAt") VALUES (1, %s, 7, 8, 9, now()) RETURNING id', (f"ONLINE-{writes}",)).fetchone()
            assert new_id is not None
            expected[new_id[0]] = (7, 8, 9)
            deleted = writer.execute('DELETE FROM "Invoice" WHERE id = %s AND NOT EXISTS (SELECT FROM "Payment" '
                                     'WHERE "invoiceId" = %s) RETURNING id', (high_id - 50 - writes,) * 2).fetchone()
            if deleted:
                expected.pop(deleted[0])

        apply(baseline_db, online(), write_between_batches)

    assert writes >= 3
    assert {row[0]: row[1:] for row in money_rows(baseline_db, "Invoice")} == expected
    assert verify(baseline_db, VerifyOptions(plans_dir=PLANS_DIR)).ok


GATE_KEY = 424242


def _kill_during_backfill(url: str) -> None:
    """Start `apply --online-retype` in a child process, make its "Invoice" backfill wait on a known batch (a test
    trigger takes an advisory lock the test holds), SIGKILL it there, and wait until the server ended its session.
    A table lock would not do: it would already stop the step that installs the shadow columns."""
    query(url, f"""
        CREATE FUNCTION test_gate() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.id = {2 * BATCH + 1} THEN PERFORM pg_advisory_xact_lock({GATE_KEY}); END IF; RETURN NEW; END $$;
        CREATE TRIGGER test_gate BEFORE UPDATE ON "Invoice" FOR EACH ROW EXECUTE FUNCTION test_gate();
    """)
    with psycopg.connect(url, autocommit=True) as gate:
        gate.execute("SELECT pg_advisory_lock(%s)", (GATE_KEY,))
        process = subprocess.Popen(
            [sys.executable, "-m", "bhq_migrate", "apply", "--database-url", url, "--no-progress",
             "--online-retype", "--online-batch-rows", str(BATCH), "--lock-timeout", "60s"],
            cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        waiting_pid = wait_for_query(url, "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                          "AND datname = current_database() "
                                          "AND query LIKE 'UPDATE \"public\".\"Invoice\"%%'",
                                     while_running=lambda: process.poll() is None)
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
        _out, err = process.communicate()
        assert waiting_pid is not None, f"apply never reached the Invoice backfill: {err}"
        gate.execute("SELECT pg_advisory_unlock(%s)", (GATE_KEY,))
    gone = "SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = %s"
    if not wait_for_query(url, gone, (waiting_pid,), bound_s=10):  # client_connection_check_interval: ~1 s
        query(url, "SELECT pg_terminate_backend(%s)", (waiting_pid,))
        assert wait_for_query(url, gone, (waiting_pid,))
    query(url, 'DROP TRIGGER test_gate ON "Invoice"; DROP FUNCTION test_gate()')


def test_sigkill_during_backfill_then_online_rerun_completes(baseline_db: str) -> None:
    before = money_rows(baseline_db, "Invoice")
    _kill_during_backfill(baseline_db)
    assert column_type(baseline_db, "Invoice", "amountCents") == "integer"  # killed before the swap
    assert ('"Invoice"', TRIGGER_NAME) in leftovers(baseline_db)
    assert scalar(baseline_db, 'SELECT count(*) FROM "Invoice" WHERE "amountCents__bhq_new" IS NOT NULL') >= BATCH
    assert scalar(baseline_db, "SELECT to_regclass('bhq_migrate.history')") is None

    result = apply(baseline_db, online())

    assert [done.table for done in result.online] == ['"Invoice"']  # "Payment" was swapped before the kill
    assert money_rows(baseline_db, "Invoice") == before
    assert leftovers(baseline_db) == []
    assert verify(baseline_db, VerifyOptions(plans_dir=PLANS_DIR)).ok


def test_plain_apply_after_a_killed_online_run_drops_the_leftovers_and_completes(baseline_db: str) -> None:
    before = money_rows(baseline_db, "Invoice")
    _kill_during_backfill(baseline_db)
    warnings: list[str] = []

    apply(baseline_db, ApplyOptions(plans_dir=PLANS_DIR),
          lambda event: warnings.append(event.text) if event.kind == "warning" else None)

    assert any("interrupted --online-retype" in w and '"Invoice"' in w for w in warnings)
    assert leftovers(baseline_db) == []
    assert money_rows(baseline_db, "Invoice") == before
    assert verify(baseline_db, VerifyOptions(plans_dir=PLANS_DIR)).ok


def test_a_column_used_by_an_index_falls_back_to_the_normal_rewrite_with_a_warning(baseline_db: str) -> None:
    query(baseline_db, 'CREATE INDEX "Invoice_balanceCents_idx" ON "Invoice" ("balanceCents")')
    warnings: list[str] = []

    result = apply(baseline_db, online(),
                   lambda event: warnings.append(event.text) if event.kind == "warning" else None)

    assert [done.table for done in result.online] == ['"Payment"']
    assert any('"Invoice" is retyped by the plan\'s normal rewrite' in w and "Invoice_balanceCents_idx" in w
               for w in warnings)
    assert column_type(baseline_db, "Invoice", "balanceCents") == "bigint"
    assert scalar(baseline_db, "SELECT indisvalid FROM pg_index WHERE indexrelid = %s::regclass",
                  ('"Invoice_balanceCents_idx"',))


def test_a_column_used_by_a_view_is_refused_before_anything_changes(baseline_db: str) -> None:
    query(baseline_db, 'CREATE VIEW invoice_totals AS SELECT sum("amountCents") AS total FROM "Invoice"')
    with pytest.raises(PreflightFailed) as refused:
        apply(baseline_db, online())
    assert [p.code for p in refused.value.problems] == ["dependent-view"]
    assert leftovers(baseline_db) == []
    assert column_type(baseline_db, "Payment", "amountCents") == "integer"


def test_tables_below_the_row_threshold_keep_the_normal_rewrite(baseline_db: str) -> None:
    result = apply(baseline_db, online(online_min_rows=150))  # 200 invoices qualify, 100 payments do not
    assert [done.table for done in result.online] == ['"Invoice"']
    assert column_type(baseline_db, "Payment", "amountCents") == "bigint"


def test_online_retype_refuses_a_dry_run(baseline_db: str) -> None:
    with pytest.raises(ConfigError, match="--dry-run"):
        apply(baseline_db, online(dry_run=True))
    assert leftovers(baseline_db) == []


def test_an_index_created_during_the_backfill_refuses_the_swap_instead_of_being_dropped(baseline_db: str) -> None:
    """DROP COLUMN would silently drop an index on the old column, so the swap re-checks dependents under its lock."""
    from bhq_migrate.errors import OnlineRetypeRefused

    def create_index_midway(event: Event) -> None:
        if event.kind == "online" and event.statement == 2 and event.text.startswith('"Invoice"'):
            query(baseline_db, 'CREATE INDEX "Invoice_balanceCents_idx" ON "Invoice" ("balanceCents")')

    with pytest.raises(OnlineRetypeRefused, match=r'"balanceCents" changed during the backfill .*Invoice_balanceCents'):
        apply(baseline_db, online(), create_index_midway)
    assert column_type(baseline_db, "Invoice", "balanceCents") == "integer"
    assert scalar(baseline_db, "SELECT to_regclass('\"Invoice_balanceCents_idx\"') IS NOT NULL")
    apply(baseline_db, ApplyOptions(plans_dir=PLANS_DIR))  # the documented way out: the normal rewrite
    assert leftovers(baseline_db) == []
    assert column_type(baseline_db, "Invoice", "balanceCents") == "bigint"


def test_a_swap_that_hits_lock_timeout_is_retried_until_the_blocker_leaves(baseline_db: str) -> None:
    retries: list[str] = []
    blocked: list[bool] = []
    with psycopg.connect(baseline_db) as reader:

        def block_the_swap(event: Event) -> None:
            if event.kind == "retry":
                retries.append(event.text)
                if "(swap)" in event.text:
                    reader.rollback()  # the blocker leaves on the swap's first retry: event-driven, no timer
            if event.kind == "online" and event.text == '"Invoice": swapping the columns' and not blocked:
                blocked.append(True)
                reader.execute('SELECT count(*) FROM "Invoice"')  # ACCESS SHARE until the transaction ends

        result = apply(baseline_db, online(lock_timeout="100ms", retries=5, retry_backoff=0.1), block_the_swap)
    invoice = next(done for done in result.online if done.table == '"Invoice"')
    assert invoice.swap_attempts > 1 and any("(swap)" in text for text in retries)
    assert column_type(baseline_db, "Invoice", "amountCents") == "bigint"


def test_the_optional_plans_retype_is_done_online_too(migrated_db: str) -> None:
    result = apply(migrated_db, online(with_optional=True))
    assert [(done.table, done.columns, done.plan) for done in result.online] == [
        ('"Invoice"', ["marketplaceTransactionId"], "003")]
    assert column_type(migrated_db, "Invoice", "marketplaceTransactionId") == "bigint"
    assert leftovers(migrated_db) == []
    assert verify(migrated_db, VerifyOptions(plans_dir=PLANS_DIR)).ok


def test_cli_reports_the_online_retypes_in_json_and_rejects_bad_combinations(baseline_db: str) -> None:
    import json

    from tests.helpers import run_cli

    refused = run_cli("apply", "--database-url", baseline_db, "--online-retype", "--dry-run")
    assert refused.returncode == 2 and refused.stderr.startswith("error: --online-retype cannot be combined")
    applied = run_cli("apply", "--database-url", baseline_db, "--online-retype", "--online-batch-rows", "64",
                      "--format", "json")
    assert applied.returncode == 0, applied.stderr
    report = json.loads(applied.stdout)
    assert [(done["table"], done["batches"]) for done in report["online"]] == [('"Payment"', 2), ('"Invoice"', 4)]


def test_a_column_added_by_an_earlier_plan_of_the_same_run_is_retyped_online_before_its_own_plan(
    baseline_db: str,
) -> None:
    """001 adds "marketplaceTransactionId" as INTEGER; 003 retypes it. Each plan's retypes go online just before it."""
    result = apply(baseline_db, online(with_optional=True))
    assert [(done.plan, done.table) for done in result.online] == [
        ("001", '"Payment"'), ("001", '"Invoice"'), ("003", '"Invoice"')]
    assert result.online[-1].columns == ["marketplaceTransactionId"]
    assert verify(baseline_db, VerifyOptions(plans_dir=PLANS_DIR)).ok


# ---- HOT slices ------------------------------------------------------------------------------------------------

def test_hot_slices_shrink_with_the_room_each_leaves_and_always_end_with_everything() -> None:
    invoice = hot_slices(94.7, 3)  # the 2M-invoice baseline: 94.7 heap bytes per row, three columns retyped
    assert invoice == [31, 56, 74, 89, 100]
    widths = [b - a for a, b in zip([0, *invoice], invoice, strict=False)][:-1]
    assert widths == sorted(widths, reverse=True)
    assert hot_slices(130.0, 1)[0] < invoice[0]  # less growth per row: a smaller first (non-HOT) slice
    assert hot_slices(None, 3) == hot_slices(12.0, 3)  # unknown or implausible size: the default ratio
    assert hot_slices(94.7, 3, hot_passes=0) == [100]


def _in_transaction(conn: psycopg.Connection[Any]) -> Any:
    """The runner's retry loop reduced to its transaction: what ``backfill`` needs to run one batch slice."""

    def run(work: Any, _what: str) -> Any:
        with conn.transaction():
            return work()

    return run


def _backfill_hot_share(url: str, monkeypatch: pytest.MonkeyPatch, hot_passes: int) -> float:
    """Backfill a freshly loaded table of full pages; the share of its row updates that were HOT."""
    monkeypatch.setattr(online_module, "HOT_PASSES", hot_passes)
    query(url, """
        CREATE TABLE ledger (id integer PRIMARY KEY, tenant integer NOT NULL, cents integer NOT NULL, note text);
        CREATE INDEX ledger_tenant ON ledger (tenant);
        INSERT INTO ledger SELECT g, g % 7, g * 3, 'entry ' || g FROM generate_series(1, 6000) AS g;
        ANALYZE ledger;
    """)
    with psycopg.connect(url, autocommit=True) as conn:
        retype, reason = online_module.table_retype(conn, ("public", "ledger"), ["cents"])
        assert retype is not None and reason is None and retype.bytes_per_row
        online_module.install(conn, retype)
        copied, _batches = online_module.backfill(conn, retype, 2_000, _in_transaction(conn), lambda *_: None)
        assert copied == 6000
    # The backend's counters reach pg_stat_user_tables when its session ends (a bounded wait on that event).
    flushed = "SELECT n_tup_upd >= 6000 FROM pg_stat_user_tables WHERE relid = 'ledger'::regclass"
    assert wait_for_query(url, flushed)
    updated, hot = query(url, "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables "
                              "WHERE relid = 'ledger'::regclass")[0]
    assert scalar(url, "SELECT count(*) FROM ledger WHERE cents__bhq_new IS DISTINCT FROM cents") == 0
    return float(hot) / float(updated)


def test_the_sliced_backfill_makes_most_row_updates_hot(empty_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _backfill_hot_share(empty_db, monkeypatch, online_module.HOT_PASSES) > 0.5


def test_one_slice_per_batch_makes_almost_none_hot(empty_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check above can fail: one slice (every row of a range in one transaction) leaves no room on a page."""
    assert _backfill_hot_share(empty_db, monkeypatch, 0) < 0.1


def test_the_batch_pause_runs_after_every_backfill_transaction(empty_db: str) -> None:
    """--online-batch-pause-ms: the rest comes after each slice's commit, never inside a transaction."""
    query(empty_db, """
        CREATE TABLE ledger (id integer PRIMARY KEY, cents integer NOT NULL);
        INSERT INTO ledger SELECT g, g FROM generate_series(1, 300) AS g;
        ANALYZE ledger;
    """)
    with psycopg.connect(empty_db, autocommit=True) as conn:
        retype, _reason = online_module.table_retype(conn, ("public", "ledger"), ["cents"])
        assert retype is not None
        online_module.install(conn, retype)
        rests: list[bool] = []

        def rest() -> None:
            rests.append(conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE)

        copied, batches = online_module.backfill(conn, retype, 100, _in_transaction(conn), lambda *_: None,
                                                 pause=rest)
    slices = len(hot_slices(retype.bytes_per_row, 1))
    assert copied == 300 and batches == 3
    assert rests == [True] * (batches * slices)


def test_cli_refuses_a_negative_batch_pause(baseline_db: str) -> None:
    from tests.helpers import run_cli

    refused = run_cli("apply", "--database-url", baseline_db, "--online", "--online-batch-pause-ms", "-5")
    assert refused.returncode == 2 and "--online-batch-pause-ms" in refused.stderr
    assert "Traceback" not in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
