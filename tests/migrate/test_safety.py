"""`apply` under pressure: bad data, edited plans, blockers, concurrent runs and a killed process."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from bhq_migrate.baseline.loader import plant_duplicate_contacts
from bhq_migrate.errors import BadPlan, LockBusy, LockTimeout, PlanChanged, PreflightFailed
from bhq_migrate.migrate.runner import ADVISORY_LOCK_KEY, ApplyOptions, Event, apply
from tests.conftest import PLANS_DIR
from tests.helpers import REPO_ROOT, column_type, query, scalar, schema_fingerprint, wait_for_query


@pytest.fixture
def plans_copy(tmp_path: Path) -> Path:
    target = tmp_path / "sql"
    shutil.copytree(PLANS_DIR, target)
    return target


def test_preflight_refuses_duplicate_marketplace_contacts_and_lists_them(baseline_db: str) -> None:
    with psycopg.connect(baseline_db) as conn:
        plant_duplicate_contacts(conn, pairs=2)
    schema = schema_fingerprint(baseline_db)
    with pytest.raises(PreflightFailed) as refused:
        apply(baseline_db, ApplyOptions(plans_dir=PLANS_DIR))
    [problem] = refused.value.problems
    assert problem.code == "duplicate-keys" and "Contact_marketplaceUserId_tenantId_key" in problem.message
    assert len(problem.details) == 2 and all("2 rows (ids" in line for line in problem.details)
    assert schema_fingerprint(baseline_db) == schema


def test_preflight_reports_every_missing_baseline_table_at_once(empty_db: str) -> None:
    with pytest.raises(PreflightFailed) as refused:
        apply(empty_db, ApplyOptions(plans_dir=PLANS_DIR))
    missing = {p.message.split(" does not exist")[0] for p in refused.value.problems if p.code == "missing-object"}
    assert missing == {f"required table {t}" for t in ('"Invoice"', '"Payment"', '"Contact"', '"Animal"', '"Tenant"')}
    assert scalar(empty_db, "SELECT count(*) FROM pg_tables WHERE schemaname = 'marketplace'") == 0


def test_preflight_refuses_a_view_on_a_retyped_column(baseline_db: str) -> None:
    query(baseline_db, 'CREATE VIEW invoice_totals AS SELECT "tenantId", sum("amountCents") AS total '
                       'FROM "Invoice" GROUP BY 1')
    with pytest.raises(PreflightFailed) as refused:
        apply(baseline_db, ApplyOptions(plans_dir=PLANS_DIR))
    assert [p.code for p in refused.value.problems] == ["dependent-view"]
    assert "public.invoice_totals" in refused.value.problems[0].message


def test_preflight_warns_when_a_rewrite_will_be_long(baseline_db: str) -> None:
    warnings: list[str] = []
    apply(baseline_db, ApplyOptions(plans_dir=PLANS_DIR, slow_rewrite_seconds=0.0),
          lambda event: warnings.append(event.text) if event.kind == "warning" else None)
    assert any('rewrites "Invoice"' in w and "amountCents" in w for w in warnings)


def test_edited_applied_plan_is_refused_naming_the_file(baseline_db: str, plans_copy: Path) -> None:
    apply(baseline_db, ApplyOptions(plans_dir=plans_copy))
    edited = plans_copy / "002_marketplace_schema.sql"
    edited.write_text(edited.read_text() + "\n-- an innocent-looking edit\n")
    with pytest.raises(PlanChanged, match=r"002_marketplace_schema\.sql"):
        apply(baseline_db, ApplyOptions(plans_dir=plans_copy))


def test_accept_changed_records_the_new_checksum(baseline_db: str, plans_copy: Path) -> None:
    apply(baseline_db, ApplyOptions(plans_dir=plans_copy))
    edited = plans_copy / "002_marketplace_schema.sql"
    edited.write_text(edited.read_text() + "\n-- reviewed edit\n")
    apply(baseline_db, ApplyOptions(plans_dir=plans_copy, accept_changed=("002",)))
    apply(baseline_db, ApplyOptions(plans_dir=plans_copy))  # accepted: no longer refused


def test_plan_with_syntax_error_is_rejected_before_connecting(plans_copy: Path) -> None:
    broken = "SELECT 1;\nALTER TABLE x ADD CONSTRAINT IF NOT EXISTS y CHECK (true);\n"
    (plans_copy / "005_broken.sql").write_text(broken)
    unreachable = "postgresql://nobody:pw@127.0.0.1:1/none"
    with pytest.raises(BadPlan, match=r"005_broken.sql:2:\d+: syntax error at or near \"NOT\""):
        apply(unreachable, ApplyOptions(plans_dir=plans_copy))


def test_failing_statement_rolls_back_the_whole_plan(baseline_db: str, plans_copy: Path) -> None:
    plan = plans_copy / "001_critical_production_fixes.sql"
    plan.write_text(plan.read_text() + '\nALTER TABLE "Invoice" ADD COLUMN "oops" no_such_type;\n')
    from bhq_migrate.errors import PlanFailed

    with pytest.raises(PlanFailed, match=r"001_critical_production_fixes.sql:\d+: 42704"):
        apply(baseline_db, ApplyOptions(plans_dir=plans_copy))
    assert column_type(baseline_db, "Invoice", "amountCents") == "integer"
    assert scalar(baseline_db, "SELECT to_regclass('bhq_migrate.history')") is None


def test_lock_held_on_invoice_times_out_retries_then_names_the_blocker(baseline_db: str) -> None:
    events: list[str] = []
    with psycopg.connect(baseline_db) as blocker:
        blocker.execute('LOCK TABLE "Invoice" IN ACCESS SHARE MODE')
        blocker_pid = blocker.info.backend_pid
        with pytest.raises(LockTimeout) as failed:
            apply(baseline_db, ApplyOptions(plans_dir=PLANS_DIR, lock_timeout="100ms", retries=2, retry_backoff=0.05),
                  lambda event: events.append(event.kind))
        blocker.rollback()
    assert events.count("retry") == 2
    assert f"pid {blocker_pid}" in str(failed.value) and "3 attempt(s)" in str(failed.value)
    assert column_type(baseline_db, "Invoice", "amountCents") == "integer"
    assert scalar(baseline_db, "SELECT to_regclass('bhq_migrate.history')") is None


def test_a_blocker_that_goes_away_lets_the_retry_succeed(baseline_db: str) -> None:
    retries: list[str] = []
    with psycopg.connect(baseline_db) as blocker:
        blocker.execute('LOCK TABLE "Invoice" IN ACCESS SHARE MODE')

        def release_on_first_retry(event: Event) -> None:  # event-driven: no timer to lose a race under load
            if event.kind == "retry":
                retries.append(event.text)
                if len(retries) == 1:
                    blocker.rollback()

        result = apply(baseline_db, ApplyOptions(plans_dir=PLANS_DIR, lock_timeout="100ms", retries=5,
                                                 retry_backoff=0.2), release_on_first_retry)
    assert len(retries) == 1 and "001_critical_production_fixes.sql" in retries[0]
    assert result.outcomes[0].status == "applied" and result.outcomes[0].attempts == 2


def test_second_apply_waits_then_names_the_running_one(baseline_db: str) -> None:
    with psycopg.connect(baseline_db, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (ADVISORY_LOCK_KEY,))
        with pytest.raises(LockBusy, match=rf"pid {holder.info.backend_pid} \(user"):
            apply(baseline_db, ApplyOptions(plans_dir=PLANS_DIR, lock_wait=0.3))
    assert scalar(baseline_db, "SELECT to_regclass('bhq_migrate.history')") is None


def _start_apply(url: str, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bhq_migrate", "apply", "--database-url", url, "--no-progress", *extra],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def test_two_concurrent_applies_apply_each_plan_exactly_once(baseline_db: str) -> None:
    first, second = _start_apply(baseline_db), _start_apply(baseline_db)
    results = [process.communicate(timeout=120) for process in (first, second)]
    assert (first.returncode, second.returncode) == (0, 0), results
    assert query(baseline_db, "SELECT id, count(*) FROM bhq_migrate.history GROUP BY id ORDER BY id") == [
        ("001", 1), ("002", 1)]
    outputs = "".join(out for out, _ in results)
    assert outputs.count("2 plan(s) applied.") == 1 and "Nothing to apply" in outputs


@pytest.mark.slow
def test_sigkill_during_plan_001_leaves_no_half_applied_state(empty_db: str) -> None:
    from bhq_migrate.baseline.loader import SampleSize, load_baseline, load_sample_data

    url = empty_db
    with psycopg.connect(url) as conn:  # big enough that the "Invoice" rewrite takes a while
        load_baseline(conn)
        load_sample_data(conn, SampleSize(tenants=5, contacts=10, animals=10, invoices=600_000, payments=10))
    process = _start_apply(url)
    running = wait_for_query(url, "SELECT count(*) FROM pg_stat_activity "  # until the rewrite runs
                                  "WHERE query LIKE 'ALTER TABLE \"Invoice\"%%' AND state = 'active' "
                                  "AND datname = current_database()",
                             while_running=lambda: process.poll() is None, pause_s=0.02)
    process.kill()
    process.wait()
    assert running, "apply never reached the Invoice rewrite"
    assert scalar(url, "SELECT to_regclass('bhq_migrate.history')") is None  # killed inside 001: nothing committed
    assert column_type(url, "Invoice", "amountCents") == "integer"
    assert scalar(url, "SELECT to_regclass('marketplace.users')") is None
    finished = _start_apply(url)
    _out, err = finished.communicate(timeout=180)
    assert finished.returncode == 0, err
    assert query(url, "SELECT id FROM bhq_migrate.history ORDER BY id") == [("001",), ("002",)]
    assert column_type(url, "Invoice", "amountCents") == "bigint"


CONCURRENT_PLAN = """-- transactional: false
CREATE INDEX CONCURRENTLY IF NOT EXISTS "Invoice_dueAt_idx" ON "Invoice" ("dueAt");
"""


def test_non_transactional_plan_builds_indexes_concurrently(baseline_db: str, plans_copy: Path) -> None:
    (plans_copy / "005_online_index.sql").write_text(CONCURRENT_PLAN)
    apply(baseline_db, ApplyOptions(plans_dir=plans_copy))
    assert scalar(baseline_db, """SELECT indisvalid FROM pg_index WHERE indexrelid = '"Invoice_dueAt_idx"'::regclass""")
    assert scalar(baseline_db, "SELECT count(*) FROM bhq_migrate.history WHERE id = '005'") == 1


def test_invalid_index_left_by_a_failed_concurrent_build_is_rebuilt(baseline_db: str, plans_copy: Path) -> None:
    apply(baseline_db, ApplyOptions(plans_dir=plans_copy))  # 001 rewrites "Invoice", which rebuilds its indexes
    query(baseline_db, 'CREATE INDEX "Invoice_dueAt_idx" ON "Invoice" ("dueAt")')
    query(baseline_db, """UPDATE pg_index SET indisvalid = false WHERE indexrelid = '"Invoice_dueAt_idx"'::regclass""")
    (plans_copy / "005_online_index.sql").write_text(CONCURRENT_PLAN)
    warnings: list[str] = []
    apply(baseline_db, ApplyOptions(plans_dir=plans_copy),
          lambda event: warnings.append(event.text) if event.kind == "warning" else None)
    assert any("INVALID index" in warning for warning in warnings)
    assert scalar(baseline_db, """SELECT indisvalid FROM pg_index WHERE indexrelid = '"Invoice_dueAt_idx"'::regclass""")


def test_non_transactional_plan_refuses_single_transaction(baseline_db: str, plans_copy: Path) -> None:
    (plans_copy / "005_online_index.sql").write_text(CONCURRENT_PLAN)
    with pytest.raises(BadPlan, match="not transactional"):
        apply(baseline_db, ApplyOptions(plans_dir=plans_copy, single_transaction=True))


def test_apply_refuses_a_plan_with_lint_errors_before_changing_anything(baseline_db: str, plans_copy: Path) -> None:
    from bhq_migrate.errors import LintRefused

    (plans_copy / "005_nested.sql").write_text('BEGIN;\nALTER TABLE "Animal" ADD COLUMN "nickname" text;\nCOMMIT;\n')
    schema = schema_fingerprint(baseline_db)
    with pytest.raises(LintRefused, match=r"005_nested\.sql:1:1: L001"):
        apply(baseline_db, ApplyOptions(plans_dir=plans_copy))
    assert schema_fingerprint(baseline_db) == schema


def test_apply_reports_the_lint_warnings_it_accepts(baseline_db: str) -> None:
    result = apply(baseline_db, ApplyOptions(plans_dir=PLANS_DIR))
    assert any("L002" in w and "accepted: the retype is the point of the plan" in w for w in result.lint_warnings)


def test_apply_completes_a_database_the_seed_left_half_migrated(baseline_db: str) -> None:
    """Run by hand in autocommit (psql without -1), the seed's Phase 1 applies everything before its invalid
    ADD CONSTRAINT IF NOT EXISTS, then stops. apply must finish that database, and verify must pass."""
    from bhq_migrate.verify import VerifyOptions, verify

    seed = (REPO_ROOT / "tests" / "lint" / "fixtures" / "seed_phase1.sql").read_text()
    before_failure = seed.split('ALTER TABLE "Tenant" ADD CONSTRAINT IF NOT EXISTS', 1)[0]
    statements = [s for s in before_failure.replace("BEGIN;", "").split(";") if s.strip()
                  and not all(line.strip().startswith("--") or not line.strip() for line in s.splitlines())]
    with psycopg.connect(baseline_db, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)  # type: ignore[arg-type]
    assert column_type(baseline_db, "Invoice", "amountCents") == "bigint"  # the half-applied state is real
    result = apply(baseline_db, ApplyOptions(plans_dir=PLANS_DIR))
    assert [o.status for o in result.outcomes] == ["applied", "applied"]
    assert verify(baseline_db, VerifyOptions(plans_dir=PLANS_DIR)).ok


def test_apply_adopts_a_database_where_the_seeds_phase_2_already_ran(baseline_db: str) -> None:
    """Phase 2 run by hand (as Prisma would, BEGIN/COMMIT and all) left no history: apply records it anyway."""
    from bhq_migrate.verify import VerifyOptions, verify

    seed = (REPO_ROOT / "tests" / "lint" / "fixtures" / "seed_phase2.sql").read_text()
    with psycopg.connect(baseline_db, autocommit=True) as conn:
        conn.execute(seed)  # type: ignore[arg-type]
    schema = {row for row in schema_fingerprint(baseline_db) if ".marketplace." in f".{row[1]}"}
    apply(baseline_db, ApplyOptions(plans_dir=PLANS_DIR))
    assert {row for row in schema_fingerprint(baseline_db) if ".marketplace." in f".{row[1]}"} == schema
    assert verify(baseline_db, VerifyOptions(plans_dir=PLANS_DIR)).ok
