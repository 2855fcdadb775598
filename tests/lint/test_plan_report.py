"""The library behind `bhq-migrate plan`: pending plans, catalog sizes, estimates."""

from __future__ import annotations

import psycopg
import pytest

from bhq_migrate.lint.analysis import Effect
from bhq_migrate.migrate import history
from bhq_migrate.migrate.plan_report import REWRITE_BYTES_PER_SECOND, build_plan_report, estimate_seconds
from bhq_migrate.plans import load_plan
from tests.lint.helpers import PLANS_DIR


def _run_and_record(url: str, *names: str) -> None:
    """Run plans as plain SQL and record them in the runner's history table, as apply would."""
    with psycopg.connect(url) as conn:
        history.ensure_history(conn)
        for name in names:
            plan = load_plan(PLANS_DIR / name)
            conn.execute(plan.text)  # type: ignore[arg-type]
            history.record(conn, plan, duration_ms=0)


@pytest.fixture
def migrated_like_db(baseline_db: str) -> str:
    _run_and_record(baseline_db, "001_critical_production_fixes.sql", "002_marketplace_schema.sql")
    return baseline_db


def test_rewrite_estimate_uses_the_documented_rate() -> None:
    size = int(REWRITE_BYTES_PER_SECOND * 8)
    assert estimate_seconds(Effect.REWRITE, size, size // 2) == 8.0
    assert estimate_seconds(Effect.SCAN, size, size // 2) == 1.0
    assert estimate_seconds(Effect.CATALOG, size, size // 2) is None


def test_applied_plans_are_not_pending(baseline_db: str) -> None:
    _run_and_record(baseline_db, "001_critical_production_fixes.sql")
    report = build_plan_report(baseline_db, PLANS_DIR)
    assert report.applied == ["001"]
    assert [plan.id for plan in report.pending] == ["002"]


def test_optional_plans_are_pending_only_on_request(baseline_db: str) -> None:
    assert "003" not in [plan.id for plan in build_plan_report(baseline_db, PLANS_DIR).pending]
    with_optional = build_plan_report(baseline_db, PLANS_DIR, with_optional=True)
    assert [plan.id for plan in with_optional.pending] == ["001", "002", "003"]


def test_catalog_knowledge_marks_tables_of_earlier_plans_as_existing(migrated_like_db: str) -> None:
    report = build_plan_report(migrated_like_db, PLANS_DIR, with_optional=True)
    hardening = next(plan for plan in report.pending if plan.id == "003")
    rules = {finding.rule for statement in hardening.statements for finding in statement.findings}
    # marketplace.transactions exists now: its CHECK added without NOT VALID scans under ACCESS EXCLUSIVE
    assert "L004" in rules
    assert [plan.id for plan in report.pending] == ["003"]


def test_drop_index_is_shown_on_its_table(baseline_db: str) -> None:
    report = build_plan_report(baseline_db, PLANS_DIR)
    drop = next(s for s in report.pending[0].statements if s.summary == "DROP INDEX")
    assert (drop.table, drop.lock_mode) == ('"Contact"', "ACCESS EXCLUSIVE")
    assert drop.total_bytes is not None
