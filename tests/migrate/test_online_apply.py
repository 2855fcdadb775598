"""`apply --online`: every plan as short steps (steps.py), resumable (online_apply.py), against real PostgreSQL.

Points in a run are reached through bhq_migrate.migrate.checkpoints (a hook called at named places, or a
self-SIGKILL at the n-th one), never through sleeps or timers.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from bhq_migrate.catalog import Catalog, Column, Index, Part, Table
from bhq_migrate.cli.steps_console import steps_lines
from bhq_migrate.errors import BlockingRefused, DuplicateKeys, LockTimeout, PlanChanged
from bhq_migrate.migrate import checkpoints, online_copy
from bhq_migrate.migrate.online import next_batch_rows
from bhq_migrate.migrate.online_apply import _maintenance_settings, _raise_maintenance_work_mem
from bhq_migrate.migrate.plan_report import build_plan_report
from bhq_migrate.migrate.runner import ApplyOptions, apply
from bhq_migrate.migrate.status import status
from bhq_migrate.migrate.steps import derive_all
from bhq_migrate.plans import load_plan
from bhq_migrate.verify import VerifyOptions, verify
from tests import pg
from tests.conftest import PLANS_DIR
from tests.helpers import granted_modes, query, run_cli, scalar, schema_fingerprint
from tests.migrate.test_online import MONEY, columns_by_name, indexes_and_constraints, leftovers, money_rows

BATCH = 20  # the small sample: 200 invoices and 100 payments, so several backfill batches per table
WAIT = 60.0  # generous bound for polling pg_locks on a busy CI machine; never a sequencing delay


def online(**extra: Any) -> ApplyOptions:
    return ApplyOptions(plans_dir=PLANS_DIR, online=True, online_batch_rows=BATCH, online_batch_ms=0, **extra)


def user_objects(rows: set[tuple[Any, ...]]) -> set[tuple[Any, ...]]:
    return {row for row in rows if "bhq_migrate" not in str(row[:2])}


def invalid_indexes(url: str) -> list[tuple[Any, ...]]:
    return query(url, "SELECT indexrelid::regclass::text FROM pg_index WHERE NOT indisvalid OR NOT indisready")


def column_order(url: str) -> list[tuple[Any, ...]]:
    """The copied tables' columns in order: the copy keeps it, and adds the plan's columns where it adds them."""
    return query(url, """SELECT attrelid::regclass::text, attname FROM pg_attribute WHERE attrelid IN
                         ('"Invoice"'::regclass, '"Payment"'::regclass) AND attnum > 0 AND NOT attisdropped
                         ORDER BY 1, attnum""")


def steps_rows(url: str) -> list[tuple[Any, ...]]:
    if scalar(url, "SELECT to_regclass('bhq_migrate.steps')") is None:
        return []
    return query(url, "SELECT plan_id, step, state FROM bhq_migrate.steps ORDER BY 1, 2")


def totals(url: str) -> dict[str, tuple[Any, ...]]:
    """Row counts and money sums: what every kill and resume must leave unchanged."""
    sums = {table: ", ".join(f'sum("{column}")' for column in columns) for table, columns in MONEY.items()}
    return {table: tuple(query(url, f'SELECT count(*), {sums[table]} FROM "{table}"')[0]) for table in MONEY}


# ---- end state, dry run, plan ---------------------------------------------------------------------------------

def test_online_apply_reaches_the_plain_apply_end_state_and_leaves_nothing_behind(
    baseline_db: str, migrated_db: str
) -> None:
    before = {table: money_rows(baseline_db, table) for table in MONEY}
    texts: list[str] = []
    result = apply(baseline_db, online(), lambda event: texts.append(event.text or ""))

    assert [o.status for o in result.outcomes] == ["applied", "applied"]
    # The plan's indexes on the copied tables were built on the copies, by sort, and their own steps found them;
    # those on the columns 001 adds to "Invoice" too, since the copy was created with them (the end state below is
    # the plain apply's all the same, column order included).
    assert sorted(text for text in texts if "was built on the copy" in text) == [
        f'index {name} was built on the copy of "{table}" by step {step}' for name, table, step in (
            ("Invoice_clientPartyId_status_idx", "Invoice", 2), ("Invoice_deletedAt_idx", "Invoice", 2),
            ("Invoice_marketplace_idx", "Invoice", 2), ("Invoice_stripe_idx", "Invoice", 2),
            ("Invoice_tenantId_status_createdAt_idx", "Invoice", 2), ("Payment_invoiceId_status_idx", "Payment", 1))]
    assert column_order(baseline_db) == column_order(migrated_db)
    assert {step.kind for plan in result.steps for step in plan.steps} == {
        "retype", "catalog", "index", "drop-index", "validate"}
    # bhq_migrate.steps (the online progress table, empty now) is the one difference, in the tool's own schema.
    assert user_objects(columns_by_name(baseline_db)) == user_objects(columns_by_name(migrated_db))
    assert user_objects(indexes_and_constraints(baseline_db)) == user_objects(indexes_and_constraints(migrated_db))
    assert {table: money_rows(baseline_db, table) for table in MONEY} == before
    assert leftovers(baseline_db) == [] and invalid_indexes(baseline_db) == [] and steps_rows(baseline_db) == []
    assert query(baseline_db, "SELECT id FROM bhq_migrate.history ORDER BY id") == [("001",), ("002",)]
    assert verify(baseline_db, VerifyOptions(plans_dir=PLANS_DIR)).ok
    # Statistics of the retyped columns exist (ANALYZE of the copy before its swap: they move with it).
    assert scalar(baseline_db, "SELECT count(*) FROM pg_stats WHERE tablename = 'Payment' "
                               "AND attname = 'amountCents'") == 1


def test_online_dry_run_lists_the_steps_and_changes_nothing(baseline_db: str) -> None:
    before = schema_fingerprint(baseline_db)
    result = apply(baseline_db, online(dry_run=True))

    assert schema_fingerprint(baseline_db) == before
    assert scalar(baseline_db, "SELECT to_regnamespace('bhq_migrate')") is None
    assert [o.status for o in result.outcomes] == ["not run (online dry run)"] * 2
    first = result.steps[0].steps
    assert (first[0].kind, first[0].table, first[0].lock) == ("retype", '"Payment"', "ACCESS SHARE")  # copied
    index = next(step for step in first if step.kind == "index")
    assert "CONCURRENTLY" in index.sql[0] and index.lock == "SHARE UPDATE EXCLUSIVE"
    assert all(step.estimated_seconds is not None for step in first)
    # The guarded DO block's CHECK is added NOT VALID, then validated in its own step.
    do_block = next(step for step in first if any(s.startswith("DO") for s in step.sql))
    assert "NOT VALID" in do_block.sql[-1]
    assert first[do_block.number].kind == "validate"
    assert result.result_type_changes == ['"Payment"', '"Invoice"']
    # Both tables are copied, one after the other: the disk must hold the larger one twice.
    retypes = {step.table: step for step in first if step.kind == "retype"}
    assert all(step.copied for step in retypes.values())
    # "Payment" is copied first; the "Invoice" swap adds Payment_invoiceId_fkey back NOT VALID once more, so the
    # first retype leaves the keys on or pointing at "Invoice" to the second, which validates what is left.
    assert retypes['"Payment"'].validated_later == ('"public"."Invoice"',)
    assert retypes['"Invoice"'].validated_later == ()
    largest = retypes['"Invoice"'].total_bytes
    assert largest is not None and result.steps[0].copy_peak_bytes == largest > (retypes['"Payment"'].total_bytes or 0)
    disk = [line for line in steps_lines(result.steps) if "disk:" in line]
    assert len(disk) == 1 and '("Payment", "Invoice")' in disk[0] and f"{largest / 2**20:,.1f} MiB free" in disk[0]
    assert result.steps[1].copy_peak_bytes is None  # 002 copies nothing, and says nothing about disk


def test_plan_shows_the_same_steps_as_the_dry_run(baseline_db: str) -> None:
    report = build_plan_report(baseline_db, PLANS_DIR)
    dry = apply(baseline_db, online(dry_run=True))
    assert [plan.online_steps for plan in report.pending] == [plan.steps for plan in dry.steps]
    assert any(p["code"] == "result-types-change" and '"Invoice"' in p["message"] for p in report.preflight)


def test_plan_and_apply_recommend_online_when_a_blocking_lock_would_be_held_past_the_threshold(
    baseline_db: str,
) -> None:
    strict = build_plan_report(baseline_db, PLANS_DIR, blocking_threshold=0)
    assert any('ACCESS EXCLUSIVE on "Invoice"' in text and "--online" in text for text in strict.recommendations)
    assert build_plan_report(baseline_db, PLANS_DIR, blocking_threshold=1000).recommendations == []
    warnings: list[str] = []
    result = apply(baseline_db, ApplyOptions(plans_dir=PLANS_DIR, blocking_threshold=0),
                   lambda event: warnings.append(event.text) if event.kind == "warning" else None)
    assert result.recommendations and result.recommendations[0] in warnings


# ---- derivation (catalog given, no server needed) ---------------------------------------------------------------

def _derive(tmp_path: Path, text: str, tables: dict[str, int]) -> list[Any]:
    path = tmp_path / "001_case.sql"
    path.write_text(text, encoding="utf-8")
    catalog = Catalog(server_version=150000, schemas=frozenset({"public"}), parts=Part.TABLES, tables={
        tuple(t.split(".")): Table(*t.split("."), estimated_rows=rows, analyzed=True, heap_bytes=rows * 80,
                                   total_bytes=rows * 100) for t, rows in tables.items()})
    return derive_all([load_plan(path)], catalog, lambda _table, _columns: None)[0].steps


def test_derivation_makes_each_kind_of_statement_non_blocking_or_names_it(tmp_path: Path) -> None:
    steps = _derive(tmp_path, """
        ALTER TABLE t ADD COLUMN a int DEFAULT 0;
        COMMENT ON COLUMN t.a IS 'x';
        CREATE INDEX t_a ON t (a);
        ALTER TABLE t ADD CONSTRAINT t_a_check CHECK (a >= 0);
        CREATE TABLE n (id int PRIMARY KEY);
        CREATE INDEX n_id ON n (id);
        ALTER TABLE t ADD COLUMN b timestamptz DEFAULT clock_timestamp();
        CREATE INDEX ON t (a);
    """, {"public.t": 1_000_000})
    kinds = [(step.kind, step.lines) for step in steps]
    assert kinds == [("catalog", (2, 3)), ("index", (4,)), ("catalog", (5,)), ("validate", (5,)),
                     ("catalog", (6, 7)), ("blocking", (8,)), ("blocking", (9,))]
    assert steps[1].sql[0].startswith("CREATE INDEX CONCURRENTLY")
    assert steps[2].sql[0].endswith("NOT VALID")
    assert "volatile" in steps[5].reason and steps[5].estimated_seconds and steps[5].estimated_seconds > 0
    assert "unnamed" in steps[6].reason


def test_the_plans_later_indexes_on_a_copied_table_are_built_on_the_copy_while_nothing_between_changes_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "001_case.sql"
    path.write_text("""
        ALTER TABLE t ALTER COLUMN amount TYPE bigint;
        ALTER TABLE t ADD COLUMN added int, ADD COLUMN flag boolean NOT NULL DEFAULT false;
        ALTER TABLE u ADD COLUMN x int;
        DROP INDEX u_old;
        CREATE INDEX t_tenant ON t (tenant, amount DESC) INCLUDE (status) WHERE status IS NOT NULL;
        CREATE INDEX t_added ON t (added) WHERE flag;
        CREATE UNIQUE INDEX t_unique ON t (tenant, status);
        CREATE INDEX t_expression ON t (lower(status));
        CREATE INDEX t_existing ON t (status);
        CREATE INDEX u_tenant ON u (tenant);
        ALTER TABLE t ADD COLUMN late int REFERENCES u;
        CREATE INDEX t_late ON t (tenant);
    """, encoding="utf-8")
    columns = {name: Column(name, "integer", False, None, n, "int4") for n, name in enumerate(
        ("id", "tenant", "amount", "status"), start=1)}
    tables = {("public", name): Table("public", name, columns=columns, estimated_rows=1000, analyzed=True,
                                      heap_bytes=80_000, total_bytes=100_000) for name in ("t", "u")}
    indexes = {("public", name): Index("public", name, ("public", table), (), False, False, "btree", None, True,
                                       True, None, definition=f"CREATE INDEX {name} ON public.{table} USING btree "
                                                              "(status)")
               for name, table in (("t_existing", "t"), ("u_old", "u"))}
    catalog = Catalog(server_version=150000, schemas=frozenset({"public"}), parts=Part.TABLES | Part.COLUMNS |
                      Part.INDEXES, tables=tables, indexes=indexes)

    steps = derive_all([load_plan(path)], catalog, lambda _table, _columns: None)[0].steps

    retype = steps[0]
    assert retype.kind == "retype" and retype.copied
    # The columns the plan adds go on the copy, in the plan's order, so t_added (on two of them) is built there
    # too. Not t_unique, unique (a concurrent build names its duplicates), t_expression (an expression key),
    # t_existing (exists already) or u_tenant (another table's); and the column with a foreign key, which its
    # own statement must check against the table, closes the window before t_late.
    assert retype.copy_columns == (
        ("added", "ALTER TABLE public.t__bhq_copy ADD COLUMN IF NOT EXISTS added integer"),
        ("flag", "ALTER TABLE public.t__bhq_copy ADD COLUMN IF NOT EXISTS flag boolean NOT NULL DEFAULT FALSE"))
    assert [(name, temp.startswith("bhq_copy_plan_")) for name, temp, _ in retype.copy_indexes] == [
        ("t_tenant", True), ("t_added", True)]
    statement = retype.copy_indexes[0][2]
    assert statement.startswith(f"CREATE INDEX {retype.copy_indexes[0][1]} ON public.t__bhq_copy ")
    assert "CONCURRENTLY" not in statement
    assert "WHERE status IS NOT NULL" in statement and "INCLUDE (status)" in statement
    on_copy = {step.index_name: step.on_copy for step in steps if step.kind == "index"}
    assert on_copy == {"t_tenant": 1, "t_added": 1, "t_unique": 0, "t_expression": 0, "t_existing": 0, "u_tenant": 0,
                       "t_late": 0}
    # The plan's own ADD COLUMN stays, and finds the columns after the swap.
    assert steps[1].sql == ("ALTER TABLE t ADD COLUMN IF NOT EXISTS added integer, "
                            "ADD COLUMN IF NOT EXISTS flag boolean NOT NULL DEFAULT FALSE",)
    hoisted = next(step for step in steps if step.index_name == "t_tenant")
    assert hoisted.sql[0].startswith("CREATE INDEX CONCURRENTLY t_tenant")  # the fallback, should the copy not run
    assert hoisted.estimated_seconds == 0 and "built on the copy by step 1" in hoisted.description


@pytest.mark.parametrize(("body", "open_after"), [
    # plan 001's guarded CHECK: every statement lint reads in it names another table
    ("IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'u_x') THEN "
     "ALTER TABLE u ADD CONSTRAINT u_x CHECK (x > 0); END IF;", True),
    ("ALTER TABLE t DROP COLUMN tenant;", False),  # the copied table itself
    ("EXECUTE 'ALTER TABLE t DROP COLUMN tenant';", False),  # dynamic SQL: its reach is unknown
    ("RAISE NOTICE 'nothing lint reads';", False),
])
def test_a_do_block_keeps_the_copy_windows_open_only_if_lint_reads_that_it_names_other_tables(
    tmp_path: Path, body: str, open_after: bool
) -> None:
    path = tmp_path / "001_case.sql"
    path.write_text("ALTER TABLE t ALTER COLUMN amount TYPE bigint;\n"
                    f"DO $$ BEGIN {body} END $$;\n"
                    "CREATE INDEX t_tenant ON t (tenant);\n", encoding="utf-8")
    columns = {name: Column(name, "integer", False, None, n, "int4") for n, name in enumerate(
        ("id", "tenant", "amount", "x"), start=1)}
    catalog = Catalog(server_version=150000, schemas=frozenset({"public"}), parts=Part.TABLES | Part.COLUMNS,
                      tables={("public", name): Table("public", name, columns=columns, estimated_rows=10,
                                                      analyzed=True) for name in ("t", "u")})
    steps = derive_all([load_plan(path)], catalog, lambda _table, _columns: None)[0].steps
    assert [name for name, _temp, _sql in steps[0].copy_indexes] == (["t_tenant"] if open_after else [])
    assert [step.on_copy for step in steps if step.kind == "index"] == [1 if open_after else 0]


def test_a_catalog_group_never_locks_two_existing_tables(tmp_path: Path) -> None:
    steps = _derive(tmp_path, "ALTER TABLE a ADD COLUMN x int; ALTER TABLE b ADD COLUMN x int; "
                              "ALTER TABLE b ADD COLUMN y int;", {"public.a": 10, "public.b": 10})
    assert [(step.kind, step.table, len(step.sql)) for step in steps] == [("catalog", "a", 1), ("catalog", "b", 2)]


def test_time_sized_batches_move_towards_the_target_within_bounds() -> None:
    assert next_batch_rows(1_000, took_ms=25, target_ms=50) == 2_000
    assert next_batch_rows(1_000, took_ms=1_000, target_ms=50) == 500  # at most halved per batch
    assert next_batch_rows(1_000, took_ms=100, target_ms=50) == 500
    assert next_batch_rows(100, took_ms=500, target_ms=50) == 100  # never below the minimum


# ---- locks per step kind, read from pg_locks while the step holds them -----------------------------------------

def test_each_kind_of_step_holds_the_documented_lock(
    baseline_db: str, hooked: list[Callable[[str], None]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(online_copy, "CATCH_UP_ROWS", 1)  # any logged change is caught up before the swap
    plan = apply(baseline_db, online(dry_run=True)).steps[0]
    by_number = {step.number: step for step in plan.steps}
    seen: dict[str, set[str]] = {}

    def observe(label: str) -> None:
        number = int(label.split("/")[1].split()[0]) if label.startswith("001/") else 0
        step = by_number.get(number)
        if step is None or not label.endswith("before commit"):
            return
        kind = next((part for part in ("swap", "copy batch", "catch-up", "backfill") if part in label), step.kind)
        table = (step.table or "").strip('"')
        seen.setdefault(kind, set()).update(granted_modes(baseline_db, table))

    hooked.append(observe)

    def write_during_the_copy(label: str) -> None:
        if label.endswith("copy batch 1 committed"):
            query(baseline_db, 'UPDATE "Invoice" SET status = status WHERE id <= 5')
            query(baseline_db, 'UPDATE "Payment" SET status = status WHERE id <= 5')

    hooked.append(write_during_the_copy)
    index_locks: dict[str, set[str]] = {}

    def hold_an_old_transaction_during_the_build(label: str) -> None:
        """A concurrent build waits for older transactions: keep one open, read the build's locks, let it go."""
        number = int(label.split("/")[1].split()[0]) if label.startswith("001/") else 0
        step = by_number.get(number)
        if step is None or step.kind != "index" or not label.endswith("before build") or index_locks:
            return
        old = psycopg.connect(baseline_db)
        old.execute(f"LOCK TABLE {step.table} IN ROW EXCLUSIVE MODE")  # a writer: the build must wait for it

        def watch() -> None:
            deadline = time.monotonic() + WAIT
            while time.monotonic() < deadline:
                builder = scalar(baseline_db, "SELECT pid FROM pg_locks WHERE NOT granted AND "
                                              "locktype IN ('virtualxid', 'transactionid')")
                if builder:
                    index_locks[step.table or ""] = granted_modes(baseline_db, (step.table or "").strip('"'), builder)
                    break
            old.rollback()
            old.close()

        threading.Thread(target=watch, daemon=True).start()

    hooked.append(hold_an_old_transaction_during_the_build)
    apply(baseline_db, online())

    assert seen["copy batch"] == seen["catch-up"] == {"AccessShareLock"}  # reads of the table: nothing waits
    assert "AccessExclusiveLock" in seen["swap"] and "AccessExclusiveLock" in seen["catalog"]
    assert seen["validate"] == {"ShareUpdateExclusiveLock"}
    assert list(index_locks.values()) == [{"ShareUpdateExclusiveLock"}]


# ---- a session in the way -----------------------------------------------------------------------------------------

def test_a_blocker_bounds_reader_waits_by_the_online_timeout_then_apply_names_it_and_a_rerun_completes(
    baseline_db: str,
) -> None:
    timeout_s, margin_s = 0.3, 1.5
    blocker = psycopg.connect(baseline_db)
    blocker.execute('LOCK TABLE "Invoice" IN ACCESS SHARE MODE')
    blocker_pid = blocker.info.backend_pid
    reader_waits: list[float] = []
    events: list[str] = []

    def reader() -> None:
        with psycopg.connect(baseline_db, autocommit=True) as conn:
            deadline = time.monotonic() + WAIT
            while time.monotonic() < deadline and not scalar(
                    baseline_db, """SELECT count(*) FROM pg_locks WHERE relation = '"Invoice"'::regclass
                                    AND mode = 'AccessExclusiveLock' AND NOT granted"""):
                pass
            started = time.monotonic()  # the migration is now queued for ACCESS EXCLUSIVE: a SELECT queues behind
            conn.execute('SELECT count(*) FROM "Invoice"')
            reader_waits.append(time.monotonic() - started)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        with pytest.raises(LockTimeout) as failed:
            apply(baseline_db, online(online_lock_timeout=f"{int(timeout_s * 1000)}ms", retries=2, retry_backoff=0.5),
                  lambda event: events.append(event.kind))
        thread.join(WAIT)
    finally:
        blocker.close()
    assert reader_waits and reader_waits[0] < timeout_s + margin_s
    assert events.count("retry") == 2
    assert f"pid {blocker_pid}" in str(failed.value) and "step" in str(failed.value)
    assert status(baseline_db, PLANS_DIR).plans[0].state == "in progress"

    apply(baseline_db, online())
    assert query(baseline_db, "SELECT id FROM bhq_migrate.history ORDER BY id") == [("001",), ("002",)]
    assert leftovers(baseline_db) == [] and steps_rows(baseline_db) == []


# ---- kills ----------------------------------------------------------------------------------------------------------

def _record_checkpoints(pg_server: pg.TestServer, template: str, tmp_path: Path) -> list[str]:
    """Every checkpoint label of one uninterrupted run, in order (same settings as the killed runs)."""
    name = pg_server.create_database(template=template)
    record = tmp_path / "checkpoints.tsv"
    try:
        done = run_cli("apply", "--online", "--no-progress", "--online-batch-ms", "0", "--online-batch-rows",
                       str(BATCH), env={"DATABASE_URL": pg_server.url_for(name),
                                        checkpoints.RECORD_ENV: str(record)})
        assert done.returncode == 0, done.stderr
    finally:
        pg_server.drop_database(name)
    return [line.split("\t", 1)[1] for line in record.read_text().splitlines()]


def _resume_index(labels: list[str], url: str) -> int:
    """Where a resumed run starts in the uninterrupted run's labels: the first unfinished step's start."""
    rows = [row for row in steps_rows(url) if row[2] != "done"]
    applied = {row[0] for row in query(url, "SELECT id FROM bhq_migrate.history")} if scalar(
        url, "SELECT to_regclass('bhq_migrate.history')") else set()
    if rows:
        label = f"{rows[0][0]}/{rows[0][1]} start"
    else:
        pending = [p for p in ("001", "002") if p not in applied]
        if not pending:
            return len(labels)
        label = f"{pending[0]}/1 start"
    return labels.index(label)


@pytest.mark.slow
def test_sigkill_at_many_points_then_rerun_always_completes_exactly_once(
    baseline_db: str, pg_server: pg.TestServer, baseline_template: str, tmp_path: Path,
) -> None:
    labels = _record_checkpoints(pg_server, baseline_template, tmp_path)
    targets = {round(i * (len(labels) - 1) / 23) for i in range(24)}  # 24 points spread over the run
    # ... and the first point of each part of the table copy, wherever the spread falls
    phases = ("installed", "copy batch 1 before commit", "copy index", "copy index Payment_invoiceId_status_idx",
              "copy vacuumed", "swap before commit", "swapped", "old table dropped", "validate")
    firsts = [next(n for n, label in enumerate(labels) if phase in label) for phase in phases]
    targets = sorted(targets | set(firsts))
    before = totals(baseline_db)
    env = {"DATABASE_URL": baseline_db}
    flags = ["--no-progress", "--online-batch-ms", "0", "--online-batch-rows", str(BATCH)]
    kills, plain_reruns, checked_in_progress = 0, 0, False
    for number, target in enumerate(targets):
        start = _resume_index(labels, baseline_db)
        if start >= len(labels) or target < start:
            continue
        # Alternate the rerun: apply --online, or plain apply, which completes a plan in progress the same way
        # (a plan not yet started runs plainly, without checkpoints: then only --online can be killed in it).
        in_progress = [r for r in steps_rows(baseline_db) if r[2] != "done"]
        plain = number % 2 == 1 and bool(in_progress)
        args = ["apply", "--only", in_progress[0][0], *flags] if plain else ["apply", "--online", *flags]
        killed = run_cli(*args, env={**env, checkpoints.KILL_AT_ENV: str(target - start + 1)})
        if killed.returncode == -9:
            kills += 1
            plain_reruns += plain
        else:
            assert killed.returncode == 0, killed.stderr
        if not checked_in_progress and [r for r in steps_rows(baseline_db) if r[2] != "done"]:
            checked_in_progress = True
            plan = status(baseline_db, PLANS_DIR).plans[0]
            assert plan.state == "in progress" and plan.progress and plan.progress.startswith("in progress (step ")
            report = verify(baseline_db, VerifyOptions(plans_dir=PLANS_DIR))
            assert any(r.id.startswith("V014") for r in report.failures)
    final = run_cli("apply", *flags, env=env)
    assert final.returncode == 0, final.stderr

    assert kills >= 20 and plain_reruns >= 1 and checked_in_progress
    assert verify(baseline_db, VerifyOptions(plans_dir=PLANS_DIR)).ok
    assert leftovers(baseline_db) == [] and invalid_indexes(baseline_db) == [] and steps_rows(baseline_db) == []
    assert totals(baseline_db) == before
    assert query(baseline_db, "SELECT id, count(*) FROM bhq_migrate.history GROUP BY id ORDER BY id") == [
        ("001", 1), ("002", 1)]


# ---- concurrent unique build meets a duplicate ---------------------------------------------------------------

def test_a_duplicate_written_during_a_concurrent_unique_build_is_named_and_no_invalid_index_is_left(
    baseline_db: str, hooked: list[Callable[[str], None]],
) -> None:
    plan = apply(baseline_db, online(dry_run=True)).steps[0]
    unique = next(step for step in plan.steps if step.kind == "index" and step.unique)
    writer = psycopg.connect(baseline_db)

    def write_a_duplicate_while_the_build_waits(label: str) -> None:
        if label != f"001/{unique.number} before build":
            return
        writer.execute("""INSERT INTO "Contact" ("tenantId", "name", "marketplaceUserId", "updatedAt")
                          VALUES (1, 'twin a', 990001, now()), (1, 'twin b', 990001, now())""")

        def commit_once_the_build_waits() -> None:  # the build waits for this writer's transaction, then sees it
            deadline = time.monotonic() + WAIT
            while time.monotonic() < deadline and not scalar(
                    baseline_db, "SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype IN "
                                 "('virtualxid', 'transactionid')"):
                pass
            writer.commit()

        threading.Thread(target=commit_once_the_build_waits, daemon=True).start()

    hooked.append(write_a_duplicate_while_the_build_waits)
    try:
        with pytest.raises(DuplicateKeys) as failed:
            apply(baseline_db, online())
    finally:
        writer.close()
    ids = [row[0] for row in query(baseline_db, """SELECT id FROM "Contact" WHERE "marketplaceUserId" = 990001
                                                  ORDER BY id""")]
    message = str(failed.value)
    assert "990001" in message and all(str(i) in message for i in ids) and unique.index_name in message
    assert invalid_indexes(baseline_db) == []
    assert failed.value.exit_code == 1


# ---- backfill under a steady stream of inserts -------------------------------------------------------------------

def test_the_backfill_finishes_under_a_steady_stream_of_inserts(baseline_db: str) -> None:
    stop, started = threading.Event(), threading.Event()
    inserted: list[int] = []

    def insert_forever() -> None:
        with psycopg.connect(baseline_db, autocommit=True) as conn:
            while not stop.is_set():
                conn.execute("""INSERT INTO "Invoice" ("tenantId", "invoiceNumber", "amountCents", "balanceCents",
                                "updatedAt") VALUES (1, 'stream-' || gen_random_uuid(), 7, 3, now())""")
                inserted.append(7)
                if len(inserted) == 20:
                    started.set()

    writer = threading.Thread(target=insert_forever)
    writer.start()
    try:
        assert started.wait(WAIT)
        result = apply(baseline_db, online())
    finally:
        stop.set()
        writer.join(WAIT)
    assert [o.status for o in result.outcomes] == ["applied", "applied"]
    assert scalar(baseline_db, """SELECT count(*) FROM "Invoice" WHERE "invoiceNumber" LIKE 'stream-%%'
                                  AND "amountCents" = 7 AND "balanceCents" = 3""") == len(inserted)
    assert leftovers(baseline_db) == []


@pytest.mark.parametrize(("flags", "rest_ms"), [((), 35.0), (("--online-batch-pause-ms", "0"), None)],
                         ids=["default", "turned off"])
def test_by_default_the_copy_rests_after_each_batch(
    baseline_db: str, monkeypatch: pytest.MonkeyPatch, flags: tuple[str, ...], rest_ms: float | None
) -> None:
    """The default leaves the server's CPU to the application between copy batches (bench/RESULTS.md: without it
    the load's p99 passed 2x its baseline's on 2 cores); 0 turns the rests off. The CLI's default is the library's."""
    from typer.testing import CliRunner

    from bhq_migrate.cli.app import app
    from bhq_migrate.migrate import online_apply

    asked: list[float] = []
    rests: list[float] = []
    real_pause = online_apply._pause

    def recorded_pause(milliseconds: float) -> Callable[[], None] | None:
        asked.append(milliseconds)
        rest = real_pause(milliseconds)
        if rest is None:
            return None

        def counted() -> None:
            rests.append(milliseconds)
            rest()
        return counted

    monkeypatch.setattr(online_apply, "_pause", recorded_pause)
    result = CliRunner().invoke(app, ["apply", "--database-url", baseline_db, "--plans-dir", str(PLANS_DIR),
                                      "--online", "--no-progress", "--format", "json", "--online-batch-ms", "0",
                                      "--online-batch-rows", str(BATCH), *flags])
    assert result.exit_code == 0, result.output
    batches = sum(table["batches"] for table in json.loads(result.stdout)["online"])
    assert batches >= 2 * len(MONEY)  # several copy batches per table, so a rest between them could be missed
    assert asked and set(asked) == {rest_ms or 0.0}
    assert ApplyOptions().online_batch_pause_ms == 35.0
    if rest_ms is None:
        assert rests == []
    else:  # one rest after every copy batch, and after each catch-up batch if there was one
        assert len(rests) >= batches and set(rests) == {rest_ms}


# ---- statements it cannot make non-blocking -----------------------------------------------------------------------

def test_a_statement_that_cannot_be_made_non_blocking_is_refused_before_anything_changes(
    baseline_db: str, tmp_path: Path,
) -> None:
    (tmp_path / "001_volatile.sql").write_text(
        'ALTER TABLE "Contact" ADD COLUMN IF NOT EXISTS "note" text;\n'
        'ALTER TABLE "Invoice" ADD COLUMN "stamp" timestamptz DEFAULT clock_timestamp();\n', encoding="utf-8")
    before = schema_fingerprint(baseline_db)
    options = ApplyOptions(plans_dir=tmp_path, online=True, lint=False)
    with pytest.raises(BlockingRefused) as refused:
        apply(baseline_db, options)
    message = str(refused.value)
    assert "line 2" in message and "ACCESS EXCLUSIVE" in message and '"Invoice"' in message and "rows" in message
    assert schema_fingerprint(baseline_db) == before

    cli = run_cli("apply", "--online", "--no-lint", "--plans-dir", str(tmp_path), env={"DATABASE_URL": baseline_db})
    assert cli.returncode == 1 and "--allow-blocking" in cli.stderr and "Traceback" not in cli.stderr

    result = apply(baseline_db, options.model_copy(update={"allow_blocking": True}))
    assert [o.status for o in result.outcomes] == ["applied"]


# ---- prepared statements: --after-swap ------------------------------------------------------------------------

def test_after_swap_runs_once_per_retyped_table_with_its_name_and_reports_the_exit_code(
    baseline_db: str, tmp_path: Path,
) -> None:
    out = tmp_path / "swapped.txt"
    cli = run_cli("apply", "--online", "--format", "json", "--online-batch-rows", str(BATCH), "--after-swap",
                  f'echo "$BHQ_MIGRATE_TABLE" >> {out}; exit 3', env={"DATABASE_URL": baseline_db})
    assert cli.returncode == 0, cli.stderr
    payload = json.loads(cli.stdout)
    assert [(run["table"], run["exit_code"]) for run in payload["after_swap"]] == [('"Payment"', 3), ('"Invoice"', 3)]
    assert out.read_text().split() == ['"Payment"', '"Invoice"']


def test_plain_apply_runs_after_swap_once_the_plan_committed(baseline_db: str, tmp_path: Path) -> None:
    out = tmp_path / "swapped.txt"
    result = apply(baseline_db, ApplyOptions(plans_dir=PLANS_DIR, after_swap=f'echo "$BHQ_MIGRATE_TABLE" >> {out}'))
    assert [(run.table, run.exit_code) for run in result.after_swap] == [('"Payment"', 0), ('"Invoice"', 0)]


def test_online_cli_rejects_bad_combinations(baseline_db: str) -> None:
    both = run_cli("apply", "--online", "--online-retype", env={"DATABASE_URL": baseline_db})
    assert both.returncode == 2 and "--online-retype" in both.stderr
    single = run_cli("apply", "--online", "--single-transaction", env={"DATABASE_URL": baseline_db})
    assert single.returncode == 2 and "--single-transaction" in single.stderr
    memory = run_cli("apply", "--online", "--online-maintenance-work-mem", "lots", env={"DATABASE_URL": baseline_db})
    assert memory.returncode == 2 and "--online-maintenance-work-mem: " in memory.stderr
    assert "not a memory size" in memory.stderr
    assert "Traceback" not in memory.stderr and len(memory.stderr.strip().splitlines()) == 1


def test_index_builds_get_the_online_maintenance_work_mem_but_never_less_than_the_servers(baseline_db: str) -> None:
    with psycopg.connect(baseline_db, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '64MB'")
        _raise_maintenance_work_mem(conn, "256 MB")
        assert scalar_of(conn, "SHOW maintenance_work_mem") == "256MB"
        conn.execute("SET maintenance_work_mem = '1GB'")
        _raise_maintenance_work_mem(conn, "256MB")
        assert scalar_of(conn, "SHOW maintenance_work_mem") == "1GB"


def test_index_builds_and_vacuums_run_in_one_process_unless_asked_otherwise(baseline_db: str) -> None:
    """Parallel maintenance workers would take the cores the application needs (bench/RESULTS.md)."""
    with psycopg.connect(baseline_db, autocommit=True) as conn:
        conn.execute("SET max_parallel_maintenance_workers = 2")
        conn.execute("SET max_parallel_workers_per_gather = 2")
        _maintenance_settings(conn, ApplyOptions(plans_dir=PLANS_DIR, online=True))
        assert scalar_of(conn, "SHOW max_parallel_maintenance_workers") == "0"
        assert scalar_of(conn, "SHOW max_parallel_workers_per_gather") == "0"  # foreign-key validations are joins
        _maintenance_settings(conn, ApplyOptions(plans_dir=PLANS_DIR, online=True, online_parallel_workers=3))
        assert scalar_of(conn, "SHOW max_parallel_maintenance_workers") == "3"
        assert scalar_of(conn, "SHOW max_parallel_workers_per_gather") == "3"
    bad = run_cli("apply", "--online", "--online-parallel-workers", "-1", env={"DATABASE_URL": baseline_db})
    assert bad.returncode == 2 and "--online-parallel-workers" in bad.stderr and "Traceback" not in bad.stderr


def scalar_of(conn: psycopg.Connection[Any], sql_text: str) -> Any:
    row = conn.execute(sql_text).fetchone()  # type: ignore[arg-type]
    return row[0] if row else None


def test_the_optional_plans_dynamic_do_block_is_named_and_refused_without_allow_blocking(migrated_db: str) -> None:
    options = ApplyOptions(plans_dir=PLANS_DIR, online=True, with_optional=True)
    with pytest.raises(BlockingRefused) as refused:
        apply(migrated_db, options)
    assert "plan 003" in str(refused.value) and "dynamic SQL" in str(refused.value)
    assert steps_rows(migrated_db) == []
    result = apply(migrated_db, options.model_copy(update={"allow_blocking": True}))
    assert [o.status for o in result.outcomes][-1] == "applied"
    assert verify(migrated_db, VerifyOptions(plans_dir=PLANS_DIR)).ok


def test_a_plan_in_progress_must_be_finished_from_the_file_it_started_with(
    baseline_db: str, tmp_path: Path, hooked: list[Callable[[str], None]],
) -> None:
    plans = tmp_path / "plans"
    plans.mkdir()
    for source in PLANS_DIR.glob("00[12]_*.sql"):
        (plans / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")

    def stop(label: str) -> None:
        if label == "001/3 start":
            raise KeyboardInterrupt  # stands in for a kill: the run stops between steps

    hooked.append(stop)
    with pytest.raises(KeyboardInterrupt):
        apply(baseline_db, ApplyOptions(plans_dir=plans, online=True, online_batch_ms=0))
    hooked.clear()
    dry = apply(baseline_db, ApplyOptions(plans_dir=plans, dry_run=True))  # a plain dry run skips it, untouched
    assert dry.outcomes[0].status == "not run (online dry run)" and steps_rows(baseline_db)[2][2] == "pending"
    edited = next(plans.glob("001_*.sql"))
    edited.write_text(edited.read_text(encoding="utf-8") + "\n-- edited\n", encoding="utf-8")
    with pytest.raises(PlanChanged) as changed:
        apply(baseline_db, ApplyOptions(plans_dir=plans))
    assert "half-applied" in str(changed.value) and "step 3 of" in str(changed.value)
