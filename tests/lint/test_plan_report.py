"""The library behind `bhq-migrate plan`: pending plans, catalog sizes, estimates."""

from __future__ import annotations

import psycopg
import pytest

from bhq_migrate.lint.analysis import Effect
from bhq_migrate.lint.plan_report import REWRITE_BYTES_PER_SECOND, build_plan_report, estimate_seconds
from tests.lint.helpers import PLANS_DIR


@pytest.fixture
def migrated_like_db(baseline_db: str) -> str:
    """The baseline with 001 and 002 run as plain SQL and recorded in a minimal history table (the runner's
    own table has more columns; plan only reads ``id``)."""
    with psycopg.connect(baseline_db) as conn:
        for name in ("001_critical_production_fixes.sql", "002_marketplace_schema.sql"):
            conn.execute((PLANS_DIR / name).read_text())  # type: ignore[arg-type]
        conn.execute("CREATE SCHEMA bhq_migrate; CREATE TABLE bhq_migrate.history (id text PRIMARY KEY)")
        conn.execute("INSERT INTO bhq_migrate.history VALUES ('001'), ('002')")
    return baseline_db


def test_rewrite_estimate_uses_the_documented_rate() -> None:
    size = int(REWRITE_BYTES_PER_SECOND * 8)
    assert estimate_seconds(Effect.REWRITE, size, size // 2) == 8.0
    assert estimate_seconds(Effect.SCAN, size, size // 2) == 1.0
    assert estimate_seconds(Effect.CATALOG, size, size // 2) is None


def test_applied_plans_are_not_pending(baseline_db: str) -> None:
    with psycopg.connect(baseline_db) as conn:
        conn.execute((PLANS_DIR / "001_critical_production_fixes.sql").read_text())  # type: ignore[arg-type]
        conn.execute("CREATE SCHEMA bhq_migrate; CREATE TABLE bhq_migrate.history (id text PRIMARY KEY)")
        conn.execute("INSERT INTO bhq_migrate.history VALUES ('001')")
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
