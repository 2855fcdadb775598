"""``status`` fails (exit 1) when history no longer matches the plan files, and says why (Flyway's validate)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from bhq_migrate.cli import full_app
from bhq_migrate.migrate.runner import ApplyOptions, apply
from tests.conftest import PLANS_DIR

app = full_app()
runner = CliRunner()


def _applied_copy(url: str, tmp_path: Path) -> Path:
    plans = tmp_path / "sql"
    shutil.copytree(PLANS_DIR, plans)
    apply(url, ApplyOptions(plans_dir=plans))
    return plans


def test_status_exits_0_when_history_matches(baseline_db: str, tmp_path: Path) -> None:
    plans = _applied_copy(baseline_db, tmp_path)
    result = runner.invoke(app, ["status", "-d", baseline_db, "--plans-dir", str(plans)])
    assert result.exit_code == 0, result.output


def test_status_exits_1_when_an_applied_plan_was_edited(baseline_db: str, tmp_path: Path) -> None:
    plans = _applied_copy(baseline_db, tmp_path)
    plan = plans / "002_marketplace_schema.sql"
    plan.write_text(plan.read_text() + "\n-- edited afterwards\n")
    result = runner.invoke(app, ["status", "-d", baseline_db, "--plans-dir", str(plans)])
    assert result.exit_code == 1
    assert "plan 002 (002_marketplace_schema.sql) was edited after it was applied" in result.stderr
    body = json.loads(runner.invoke(app, ["status", "-d", baseline_db, "--plans-dir", str(plans), "-f", "json"]).stdout)
    assert body["ok"] is False and body["summary"]["changed"] == 1 and len(body["problems"]) == 1


def test_status_exits_1_when_an_applied_plans_file_is_missing(baseline_db: str, tmp_path: Path) -> None:
    plans = _applied_copy(baseline_db, tmp_path)
    (plans / "002_marketplace_schema.sql").unlink()
    (plans / "003_hardening.sql").unlink()  # it depends on 002; it was never applied
    (plans / "004_tenant_isolation.sql").unlink()  # so does 004
    result = runner.invoke(app, ["status", "-d", baseline_db, "--plans-dir", str(plans)])
    assert result.exit_code == 1, result.output
    assert "plan 002 is recorded in history but its file is missing" in result.stderr
