"""`bhq-migrate lint` and `bhq-migrate plan` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
from typer.testing import CliRunner

from bhq_migrate.baseline.loader import plant_duplicate_contacts
from bhq_migrate.cli import full_app
from tests.lint.helpers import FIXTURES, PLANS_DIR

app = full_app()

runner = CliRunner()


def test_lint_exits_1_on_the_seed_with_its_errors() -> None:
    result = runner.invoke(app, ["lint", str(FIXTURES / "seed_phase1.sql")])
    assert result.exit_code == 1
    assert 'seed_phase1.sql:70:40: error L000 syntax-error: syntax error at or near "NOT"' in result.stdout


def test_lint_exits_0_on_the_shipped_plans() -> None:
    result = runner.invoke(app, ["lint", str(PLANS_DIR)])
    assert result.exit_code == 0
    assert "0 error(s)" in result.stdout


def test_lint_exits_2_on_a_missing_path() -> None:
    result = runner.invoke(app, ["lint", "no/such/dir"])
    assert result.exit_code == 2
    assert "no such file or directory" in result.stderr


def test_lint_json_lists_each_finding_with_its_location(tmp_path: Path) -> None:
    plan = tmp_path / "001_x.sql"
    plan.write_text("BEGIN;\nCREATE TABLE IF NOT EXISTS t (id bigint);\nCOMMIT;\n")
    result = runner.invoke(app, ["lint", "--format", "json", str(plan)])
    payload = json.loads(result.stdout)
    first = payload["findings"][0]
    assert {key: first[key] for key in ("file", "line", "column", "rule", "severity")} == {
        "file": str(plan),
        "line": 1,
        "column": 1,
        "rule": "L001",
        "severity": "error",
    }
    assert first["message"].startswith("BEGIN inside a plan")
    assert payload["summary"]["error"] == 2
    assert result.exit_code == 1


def test_lint_sarif_names_the_rules(tmp_path: Path) -> None:
    plan = tmp_path / "001_x.sql"
    plan.write_text('CREATE INDEX IF NOT EXISTS i ON "Invoice" (status);\n')
    result = runner.invoke(app, ["lint", "--format", "sarif", "--runner-sets-timeouts", str(plan)])
    sarif = json.loads(result.stdout)
    run = sarif["runs"][0]
    assert [r["ruleId"] for r in run["results"]] == ["L003"]
    assert run["tool"]["driver"]["rules"][0]["name"] == "create-index-non-concurrently"
    assert result.exit_code == 0


def test_runner_sets_timeouts_silences_missing_lock_timeout(tmp_path: Path) -> None:
    plan = tmp_path / "001_x.sql"
    plan.write_text('ALTER TABLE "Invoice" ADD COLUMN IF NOT EXISTS note text;\n')
    assert "L007" in runner.invoke(app, ["lint", str(plan)]).stdout
    assert "L007" not in runner.invoke(app, ["lint", "--runner-sets-timeouts", str(plan)]).stdout


def test_plan_lists_locks_sizes_and_findings_and_writes_nothing(baseline_db: str) -> None:
    result = runner.invoke(
        app, ["plan", "--database-url", baseline_db, "--plans-dir", str(PLANS_DIR), "--format", "json"]
    )
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert [plan["id"] for plan in report["pending"]] == ["001", "002"]
    retype = next(s for s in report["pending"][0]["statements"] if s["summary"] == "ALTER COLUMN TYPE x3")
    assert (retype["table"], retype["lock_mode"], retype["effect"]) == (
        '"Invoice"',
        "ACCESS EXCLUSIVE",
        "rewrite",
    )
    assert retype["estimated_rows"] == 200 and retype["total_bytes"] > 0 and retype["estimated_seconds"] >= 0
    assert any(f["rule"] == "L002" and f["suppressed"] for f in retype["findings"])
    with psycopg.connect(baseline_db) as conn:
        assert conn.execute("SELECT to_regnamespace('bhq_migrate')").fetchone() == (None,)


def test_plan_console_shows_the_rewrite(baseline_db: str) -> None:
    result = runner.invoke(app, ["plan", "--database-url", baseline_db, "--plans-dir", str(PLANS_DIR)])
    assert result.exit_code == 0, result.stderr
    assert "001 critical_production_fixes" in result.stdout
    assert "ALTER COLUMN TYPE x3" in result.stdout
    # Pre-flight's only findings are the warnings that the retyped tables' result types change (no error).
    assert "pre-flight:" in result.stdout and "result type" in result.stdout and "error " not in result.stdout


def test_plan_exits_2_when_the_database_is_unreachable() -> None:
    result = runner.invoke(app, ["plan", "--database-url", "postgresql://nobody:secret@127.0.0.1:1/none"])
    assert result.exit_code == 2
    assert "secret" not in result.stderr


def test_plan_shows_preflight_errors_and_exits_1(baseline_db: str) -> None:
    with psycopg.connect(baseline_db) as conn:
        plant_duplicate_contacts(conn)
    result = runner.invoke(app, ["plan", "--database-url", baseline_db, "--plans-dir", str(PLANS_DIR)])
    assert result.exit_code == 1
    assert "pre-flight:" in result.stdout and "error" in result.stdout.split("pre-flight:")[1]
