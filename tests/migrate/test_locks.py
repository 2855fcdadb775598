"""Waiting on other sessions' locks: nobody waits longer than lock_timeout, and every wait ends in a retry or a
one-line error naming the blocker.

Each test sequences its sessions on server-side facts (pg_locks, pg_stat_activity, the first ``retry`` event),
never on timers, and measures waits with the waiting session's own lock_timeout.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import psycopg
import pytest

from bhq_migrate.connection import describe_exclusive_holders
from bhq_migrate.errors import LockTimeout, PlanFailed
from bhq_migrate.lint.analysis import LockMode
from bhq_migrate.migrate import locks
from bhq_migrate.migrate.runner import ApplyOptions, Event, apply
from bhq_migrate.plans import load_plans
from tests.conftest import PLANS_DIR
from tests.helpers import column_type, query, run_cli, scalar, wait_for_query

# Generous: a bound only stops a broken test from hanging; no test passes or fails by reaching it.
BOUND_S = 120


def _sql(package: str, name: str) -> str:
    return resources.files(package).joinpath("sql", name).read_text(encoding="utf-8")


@pytest.fixture
def exclusive_on_invoice(baseline_db: str) -> Iterator[int]:
    """Another session in ``BEGIN; LOCK "Invoice";`` (ACCESS EXCLUSIVE) for the whole test; yields its pid."""
    with psycopg.connect(baseline_db) as holder:
        holder.execute('LOCK TABLE "Invoice" IN ACCESS EXCLUSIVE MODE')
        yield holder.info.backend_pid
        holder.rollback()


# --- which reads take a table lock (measured, not assumed; the catalog parts: tests/catalog/test_catalog.py) ---

def _waits_for_the_exclusive_lock(url: str, read: Any) -> bool:
    with psycopg.connect(url, autocommit=True, options="-c lock_timeout=200ms") as conn:
        try:
            read(conn)
        except psycopg.errors.LockNotAvailable:
            return True
    return False


def test_the_lock_targets_query_takes_no_table_lock(baseline_db: str, exclusive_on_invoice: int) -> None:
    def lock_targets(conn: psycopg.Connection[Any]) -> None:
        conn.execute(_sql("bhq_migrate.migrate", "lock_targets.sql"),  # type: ignore[arg-type]
                     {"schemas": ["public"], "names": ["Invoice"]}).fetchall()

    assert not _waits_for_the_exclusive_lock(baseline_db, lock_targets)


def test_lints_and_preflights_reads_wait_for_an_exclusive_lock(baseline_db: str, exclusive_on_invoice: int) -> None:
    """Why apply runs them inside its retry loop: deparsing (pg_get_indexdef, pg_get_constraintdef,
    pg_get_expr) opens the table, and the duplicate-key scan reads its rows."""
    from bhq_migrate.catalog import read_catalog
    from bhq_migrate.lint.schema import CATALOG_PARTS
    from bhq_migrate.migrate.preflight import run_preflight

    plans = [plan for plan in load_plans(PLANS_DIR) if not plan.optional]
    assert _waits_for_the_exclusive_lock(baseline_db, lambda conn: read_catalog(conn, CATALOG_PARTS))
    assert _waits_for_the_exclusive_lock(baseline_db, lambda conn: run_preflight(conn, plans))


def test_the_blocker_report_works_while_the_table_is_locked(baseline_db: str, exclusive_on_invoice: int) -> None:
    with psycopg.connect(baseline_db, autocommit=True, options="-c lock_timeout=200ms") as conn:
        text = describe_exclusive_holders(conn)
    assert f"pid {exclusive_on_invoice} (user" in text and 'ACCESS EXCLUSIVE on "Invoice"' in text
    assert 'query: LOCK TABLE "Invoice" IN ACCESS EXCLUSIVE MODE' in text


# --- item 2: apply retries its catalog reads and names the holder ---------------------------------------------

def test_apply_behind_lock_invoice_retries_its_checks_then_names_the_blocker(
    baseline_db: str, exclusive_on_invoice: int
) -> None:
    retries: list[str] = []
    with pytest.raises(LockTimeout) as failed:
        apply(baseline_db, ApplyOptions(plans_dir=PLANS_DIR, lock_timeout="100ms", retries=2, retry_backoff=0.05),
              lambda event: retries.append(event.text) if event.kind == "retry" else None)
    message = str(failed.value)
    assert len(retries) == 2 and all("pre-flight and lint" in text for text in retries)
    assert "3 attempt(s); nothing was changed" in message
    assert f"pid {exclusive_on_invoice} (user" in message and 'ACCESS EXCLUSIVE on "Invoice"' in message
    assert scalar(baseline_db, "SELECT to_regclass('bhq_migrate.history')") is None


def test_apply_goes_on_once_the_exclusive_lock_is_released(baseline_db: str) -> None:
    with psycopg.connect(baseline_db) as holder:
        holder.execute('LOCK TABLE "Invoice" IN ACCESS EXCLUSIVE MODE')

        def release_on_first_retry(event: Event) -> None:
            if event.kind == "retry":
                holder.rollback()

        result = apply(baseline_db, ApplyOptions(plans_dir=PLANS_DIR, lock_timeout="100ms", retries=3,
                                                 retry_backoff=0.05), release_on_first_retry)
    assert [outcome.status for outcome in result.outcomes] == ["applied", "applied"]
    assert column_type(baseline_db, "Invoice", "amountCents") == "bigint"


def test_apply_cli_behind_lock_invoice_is_one_line_naming_the_blocker(
    baseline_db: str, exclusive_on_invoice: int
) -> None:
    result = run_cli("apply", "--database-url", baseline_db, "--lock-timeout", "100ms", "--retries", "0",
                     "--no-progress")
    assert result.returncode == 1, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert "unexpected" not in line and "Traceback" not in line
    assert f"pid {exclusive_on_invoice}" in line and "lock_timeout=100ms" in line


# --- item 3: every lock up front, in plan order, under one lock_timeout ---------------------------------------

def _plan(tmp_path: Path, text: str, name: str = "001_probe.sql") -> Path:
    directory = tmp_path / "plans"
    directory.mkdir(exist_ok=True)
    (directory / name).write_text(text)
    return directory


def test_the_locks_come_from_lints_lock_table_in_plan_order_strongest_mode(tmp_path: Path) -> None:
    plans = load_plans(_plan(tmp_path, """
CREATE INDEX "Animal_x_idx" ON "Animal" ("id");
ALTER TABLE "Payment" ADD COLUMN "x" integer;
CREATE TABLE "New" (id int REFERENCES "Tenant" (id));
ALTER TABLE "Animal" ADD COLUMN "x" integer;
DO $$ BEGIN UPDATE "Contact" SET "id" = "id" WHERE false; END $$;
"""))
    assert [(r.table, r.mode) for r in locks.requested_locks(plans)] == [
        ("public.Animal", LockMode.ACCESS_EXCLUSIVE),  # SHARE for the index, then ACCESS EXCLUSIVE: the strongest
        ("public.Payment", LockMode.ACCESS_EXCLUSIVE),
        ("public.Tenant", LockMode.SHARE_ROW_EXCLUSIVE),  # the new table itself is not locked
        ("public.Contact", LockMode.ROW_EXCLUSIVE),  # inside a DO block
    ]


def test_plan_001_locks_payment_before_invoice_and_skips_what_does_not_exist(baseline_db: str) -> None:
    plans = [plan for plan in load_plans(PLANS_DIR) if not plan.optional]
    with psycopg.connect(baseline_db) as conn:
        resolved = locks.resolve(conn, locks.requested_locks(plans))
    tables = [lock.table for lock in resolved]
    assert tables[:2] == ['public."Payment"', 'public."Invoice"']
    assert not any("marketplace" in table for table in tables)  # 002 creates them
    # DROP INDEX "Contact_marketplaceUserId_idx" locks its table, "Contact", not the index
    assert 'public."Contact"' in tables and not any("_idx" in table for table in tables)


SLOW_PLAN = """-- transactional: true
ALTER TABLE "Invoice" ADD COLUMN IF NOT EXISTS "lockProbe" integer;
-- Work done while "Invoice" is held, like a long rewrite: taken statement by statement, "Invoice" stays
-- locked through it and through the wait for "Payment" below.
SELECT pg_sleep(8);
ALTER TABLE "Payment" ADD COLUMN IF NOT EXISTS "lockProbe" integer;
"""
LOCK_TIMEOUT_S = 1
MARGIN_S = 3


APPLY_HOLDS_OR_WAITS = """
    SELECT count(*) FROM pg_locks AS l JOIN pg_stat_activity AS a ON a.pid = l.pid
    WHERE a.application_name LIKE 'bhq-migrate%%' AND a.datname = current_database()
      AND l.locktype = 'relation' AND (NOT l.granted OR l.mode = 'AccessExclusiveLock')"""
"""Non-zero when apply's backend holds ACCESS EXCLUSIVE on some table, or waits for a lock."""


def _read(url: str, table: str, outcome: dict[str, str]) -> None:
    """A reader whose own lock_timeout (lock_timeout + margin) measures its wait on the server."""
    try:
        with psycopg.connect(url, options=f"-c lock_timeout={LOCK_TIMEOUT_S + MARGIN_S}s") as conn:
            conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()  # type: ignore[arg-type]
        outcome[table] = "read"
    except psycopg.errors.LockNotAvailable:
        outcome[table] = f"waited more than {LOCK_TIMEOUT_S + MARGIN_S} s"


@pytest.mark.parametrize("blocked", ["Payment", "Invoice"])
def test_readers_of_both_tables_never_wait_longer_than_lock_timeout(
    baseline_db: str, tmp_path: Path, blocked: str
) -> None:
    plans_dir = _plan(tmp_path, SLOW_PLAN)
    failure: list[BaseException] = []

    def run_apply() -> None:
        try:
            apply(baseline_db, ApplyOptions(plans_dir=plans_dir, lock_timeout=f"{LOCK_TIMEOUT_S}s", retries=1,
                                            retry_backoff=0.1, lint=False))
        except BaseException as exc:
            failure.append(exc)

    with psycopg.connect(baseline_db) as blocker:  # a long read of one table, e.g. a report
        blocker.execute(f'SELECT count(*) FROM "{blocked}"')  # type: ignore[arg-type]
        applying = threading.Thread(target=run_apply)
        applying.start()
        outcome: dict[str, str] = {}
        # Ends on the event, or with apply itself: it gives up after its retries.
        seen = bool(wait_for_query(baseline_db, APPLY_HOLDS_OR_WAITS, while_running=applying.is_alive))
        readers = [threading.Thread(target=_read, args=(baseline_db, table, outcome))
                   for table in ("Invoice", "Payment")]
        for reader in readers:
            reader.start()
        applying.join(BOUND_S)
        for reader in readers:
            reader.join(BOUND_S)
        blocker.rollback()
    assert seen, "apply never took or waited for a lock"
    assert outcome == {"Invoice": "read", "Payment": "read"}
    [error] = failure
    assert isinstance(error, LockTimeout) and "taking the transaction's table locks up front" in str(error)
    assert column_type(baseline_db, "Invoice", "lockProbe") is None  # nothing ran before the locks were all held


# --- item 10: a failure after an earlier plan committed says what was applied ---------------------------------

FAILING_005 = 'ALTER TABLE "Animal" ADD COLUMN "oops" no_such_type;\n'


@pytest.fixture
def plans_with_failing_005(tmp_path: Path) -> Path:
    import shutil

    target = tmp_path / "sql"
    shutil.copytree(PLANS_DIR, target)
    (target / "005_broken.sql").write_text(FAILING_005)
    return target


def test_a_failing_later_plan_names_the_plans_already_applied(baseline_db: str, plans_with_failing_005: Path) -> None:
    with pytest.raises(PlanFailed) as failed:
        apply(baseline_db, ApplyOptions(plans_dir=plans_with_failing_005, lint=False))
    assert failed.value.applied == ("001", "002")
    assert "plan 005 rolled back; already applied and recorded in this run: 001, 002" in str(failed.value)
    assert "nothing applied" not in str(failed.value)
    assert query(baseline_db, "SELECT id FROM bhq_migrate.history ORDER BY id") == [("001",), ("002",)]


def test_a_lock_timeout_in_a_later_plan_names_the_plans_already_applied(baseline_db: str, tmp_path: Path) -> None:
    import shutil

    target = tmp_path / "sql"
    shutil.copytree(PLANS_DIR, target)
    query(baseline_db, 'CREATE TABLE "Extra" (id integer PRIMARY KEY)')  # only 005 touches it
    (target / "005_extra.sql").write_text('ALTER TABLE "Extra" ADD COLUMN IF NOT EXISTS "nickname" text;\n')
    with psycopg.connect(baseline_db) as blocker:
        blocker.execute('SELECT count(*) FROM "Extra"')  # ACCESS SHARE until rollback
        blocker_pid = blocker.info.backend_pid
        with pytest.raises(LockTimeout) as failed:
            apply(baseline_db, ApplyOptions(plans_dir=target, lock_timeout="100ms", retries=0))
        blocker.rollback()
    assert failed.value.applied == ("001", "002")
    assert f"pid {blocker_pid}" in str(failed.value)
    assert str(failed.value).endswith("already applied and recorded in this run: 001, 002")


def test_apply_cli_reports_what_was_applied_in_json_and_on_the_console(
    baseline_db: str, plans_with_failing_005: Path
) -> None:
    import json

    result = run_cli("apply", "--database-url", baseline_db, "--plans-dir", str(plans_with_failing_005),
                     "--no-lint", "--format", "json")
    assert result.returncode == 1
    body = json.loads(result.stdout)
    assert body["ok"] is False and body["applied"] == ["001", "002"]
    query(baseline_db, "DELETE FROM bhq_migrate.history WHERE id = '002'")  # 002 again, then 005 fails
    result = run_cli("apply", "--database-url", baseline_db, "--plans-dir", str(plans_with_failing_005), "--no-lint",
                     "--no-progress")
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.endswith("already applied and recorded in this run: 002")


def test_ctrl_c_after_a_plan_committed_names_it(baseline_db: str) -> None:
    from bhq_migrate.errors import Interrupted

    def interrupt_002(event: Event) -> None:  # 001 is committed when 002 starts
        if event.kind == "plan-start" and event.plan == "002":
            raise KeyboardInterrupt

    with pytest.raises(Interrupted) as interrupted:
        apply(baseline_db, ApplyOptions(plans_dir=PLANS_DIR), interrupt_002)
    assert interrupted.value.applied == ("001",)
    assert query(baseline_db, "SELECT id FROM bhq_migrate.history ORDER BY id") == [("001",)]
    assert scalar(baseline_db, "SELECT to_regclass('marketplace.users')") is None  # 002 rolled back


def test_the_interrupt_line_names_the_plans_applied(capsys: pytest.CaptureFixture[str]) -> None:
    from bhq_migrate.cli.app import _print_interrupted
    from bhq_migrate.errors import Interrupted

    assert _print_interrupted(Interrupted(("001", "002"))) == 130
    assert _print_interrupted(KeyboardInterrupt()) == 130
    assert capsys.readouterr().err.splitlines() == [
        "interrupted; already applied and recorded in this run: 001, 002", "interrupted"]
