"""The seed's SQL as written, and the shipped plans, through the linter."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from bhq_migrate.errors import LintRefused
from bhq_migrate.findings import Severity
from bhq_migrate.lint import LintOptions, check_before_apply, lint_paths, lint_plans, lint_plans_for_apply
from bhq_migrate.plans import load_plan, load_plans
from tests.lint.helpers import FIXTURES, PLANS_DIR


def test_seed_phase1_is_rejected_with_a_syntax_error_on_the_add_constraint_if_not_exists_line() -> None:
    path = FIXTURES / "seed_phase1.sql"
    findings = lint_paths([path])
    syntax = [f for f in findings if f.rule == "L000"]
    line = path.read_text().splitlines()[syntax[0].line - 1]
    assert len(syntax) == 1
    assert "ADD CONSTRAINT IF NOT EXISTS" in line
    assert syntax[0].severity is Severity.ERROR
    assert syntax[0].message == 'syntax error at or near "NOT"'
    assert line[syntax[0].column - 1 :].startswith("NOT EXISTS")


def test_seed_phase2_is_flagged_for_its_transaction_control() -> None:
    path = FIXTURES / "seed_phase2.sql"
    findings = lint_paths([path])
    lines = path.read_text().splitlines()
    flagged = {lines[f.line - 1].strip() for f in findings if f.rule == "L001"}
    assert flagged == {"BEGIN;", "COMMIT;"}
    assert all(f.severity is Severity.ERROR for f in findings if f.rule == "L001")


def test_seed_phase2_is_not_rerunnable() -> None:
    findings = lint_paths([FIXTURES / "seed_phase2.sql"])
    assert any(f.rule == "L008" and "CREATE TABLE" in f.message for f in findings)


def test_seed_phases_together_find_the_integer_reference_to_a_bigserial_key() -> None:
    findings = lint_paths([FIXTURES / "seed_phase1.sql", FIXTURES / "seed_phase2.sql"])
    mismatches = [f for f in findings if f.rule == "L012"]
    assert any('"marketplaceTransactionId"' in f.message and "BIGSERIAL" in f.message for f in mismatches)


def test_seed_phase1_three_retypes_of_invoice_are_flagged_as_repeated_rewrites() -> None:
    findings = lint_paths([FIXTURES / "seed_phase1.sql"])
    assert len([f for f in findings if f.rule == "L016"]) == 2


def test_shipped_plans_have_no_errors() -> None:
    findings = lint_plans(load_plans(PLANS_DIR), LintOptions(runner_sets_lock_timeout=True))
    assert [f for f in findings if f.severity is Severity.ERROR] == []


def test_shipped_plans_warn_exactly_about_the_expected_rules() -> None:
    findings = lint_plans(load_plans(PLANS_DIR), LintOptions(runner_sets_lock_timeout=True))
    warned = {f.rule_name for f in findings if f.severity is Severity.WARNING}
    assert warned == {
        "create-index-non-concurrently",  # 001's indexes on existing tables, in the runner's transaction
        "constraint-without-not-valid",  # 001's CHECK on "Tenant" (small table)
        "timestamp-without-time-zone",  # the seed's TIMESTAMP columns (003 converts the marketplace ones)
        "constant-partial-index",  # the seed's ("deletedAt") WHERE "deletedAt" IS NULL, kept as designed
        "partial-unique-blocks-on-conflict",
        "unique-index-counts-soft-deleted",
        "redundant-index",
        "inconsistent-check-values",
        "cascade-from-user",
        "statements-after-access-exclusive",  # 001 rewrites "Invoice" while "Payment" is still locked
        "drop-index-non-concurrently",  # 001 drops a redundant "Contact" index in the plan's transaction
        "prefer-bigint-over-int",  # the seed's SERIAL keys of the marketplace tables
        "validate-in-same-transaction",  # 003 adds NOT VALID and validates in the same plan
    }


def test_shipped_bigint_rewrites_are_suppressed_with_a_reason() -> None:
    findings = lint_plans(load_plans(PLANS_DIR), LintOptions(keep_suppressed=True))
    retypes = [f for f in findings if f.rule == "L002" and f.severity is Severity.WARNING]
    assert retypes and all(f.suppressed for f in retypes)
    assert {f.file.rsplit("/", 1)[-1] for f in retypes} == {
        "001_critical_production_fixes.sql",
        "003_hardening.sql",
    }


def test_varchar_widening_in_hardening_is_catalog_only() -> None:
    findings = lint_plans(load_plans(PLANS_DIR))
    widening = [f for f in findings if f.rule == "L002" and "stripe_invoice_id" in f.message]
    assert [f.severity for f in widening] == [Severity.INFO]


def test_apply_hook_returns_the_seed_errors_as_lines(tmp_path: Path) -> None:
    plan_file = tmp_path / "001_seed_phase2.sql"
    plan_file.write_text((FIXTURES / "seed_phase2.sql").read_text())
    errors = lint_plans_for_apply([load_plan(plan_file)])
    assert len(errors) == 2 and all("L001 transaction-control" in line for line in errors)


def test_apply_hook_accepts_the_shipped_plans() -> None:
    assert lint_plans_for_apply(load_plans(PLANS_DIR)) == []


def test_apply_gate_refuses_errors_against_a_live_catalog(baseline_db: str, tmp_path: Path) -> None:
    plan_file = tmp_path / "001_seed_phase2.sql"
    plan_file.write_text((FIXTURES / "seed_phase2.sql").read_text())
    with psycopg.connect(baseline_db) as conn, pytest.raises(LintRefused, match="2 error"):
        check_before_apply(conn, [load_plan(plan_file)])


def test_apply_gate_returns_the_warnings_it_accepts(baseline_db: str) -> None:
    with psycopg.connect(baseline_db) as conn:
        accepted = check_before_apply(conn, load_plans(PLANS_DIR))
    assert accepted and {f.severity for f in accepted} <= {Severity.WARNING, Severity.INFO}
