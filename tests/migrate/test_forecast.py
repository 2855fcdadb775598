"""Lock-queue forecast in `plan`: sessions holding conflicting locks on a plan's tables, against a live server."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
from typer.testing import CliRunner

from bhq_migrate.cli.app import app
from bhq_migrate.lint.analysis import LockMode
from bhq_migrate.migrate.forecast import CONFLICTS, conflicts
from bhq_migrate.migrate.plan_report import StatementPlan, build_plan_report
from tests.lint.helpers import PLANS_DIR

runner = CliRunner()


def _statement(url: str, plans_dir: Path, plan_id: str, starts_with: str) -> StatementPlan:
    report = build_plan_report(url, plans_dir)
    plan = next(plan for plan in report.pending if plan.id == plan_id)
    return next(s for s in plan.statements if s.sql.lstrip().startswith(starts_with))


def test_conflict_matrix_is_symmetric_and_matches_the_docs_corners() -> None:
    for requested, held in CONFLICTS.items():
        for other in held:
            assert requested in CONFLICTS[other], (requested, other)
    assert conflicts(LockMode.ACCESS_EXCLUSIVE, LockMode.ACCESS_SHARE)
    assert not conflicts(LockMode.SHARE_UPDATE_EXCLUSIVE, LockMode.ROW_EXCLUSIVE)
    assert conflicts(LockMode.SHARE, LockMode.ROW_EXCLUSIVE)
    assert not conflicts(LockMode.SHARE, LockMode.SHARE)


def test_no_session_no_wait(baseline_db: str) -> None:
    statement = _statement(baseline_db, PLANS_DIR, "001", 'ALTER TABLE "Invoice"\n')
    assert statement.forecast is not None
    assert not statement.forecast.would_wait


def test_open_reader_blocks_alter_table_but_not_share_update_exclusive(baseline_db: str, tmp_path: Path) -> None:
    (tmp_path / "001_validate.sql").write_text(
        '-- description: validate only\n-- transactional: true\n\n'
        'ALTER TABLE "Invoice" VALIDATE CONSTRAINT "amount_ok";\n',
        encoding="utf-8",
    )
    with psycopg.connect(baseline_db) as reader:
        reader.execute('SELECT * FROM "Invoice" LIMIT 1')  # psycopg opened a transaction: ACCESS SHARE held
        pid = reader.info.backend_pid
        statement = _statement(baseline_db, PLANS_DIR, "001", 'ALTER TABLE "Invoice"\n')
        assert statement.forecast is not None and statement.forecast.would_wait
        lock = next(lock for lock in statement.forecast.locks if lock.table == '"Invoice"')
        assert lock.mode == "ACCESS EXCLUSIVE"
        assert [(s.pid, s.mode, s.state) for s in lock.blockers] == [(pid, "AccessShareLock", "idle in transaction")]
        assert "Invoice" in lock.blockers[0].query
        assert lock.queued == 0

        validate = _statement(baseline_db, tmp_path, "001", 'ALTER TABLE "Invoice" VALIDATE')
        assert validate.lock_mode == "SHARE UPDATE EXCLUSIVE"
        assert validate.forecast is not None and not validate.forecast.would_wait
        assert [s.pid for s in validate.forecast.locks[0].touching] == [pid]

        result = runner.invoke(app, ["plan", "-d", baseline_db, "--format", "json"])
        payload = json.loads(result.stdout)
        forecasts = [s["forecast"] for s in payload["pending"][0]["statements"] if s["forecast"]]
        assert any(f["would_wait"] and f["locks"][0]["blockers"][0]["pid"] == pid for f in forecasts)

        console = runner.invoke(app, ["plan", "-d", baseline_db])
        assert 'ACCESS EXCLUSIVE on "Invoice" would WAIT' in console.stdout
        assert f"held by pid {pid}" in console.stdout


def test_a_transactional_plan_waits_once_per_table(baseline_db: str) -> None:
    with psycopg.connect(baseline_db) as reader:
        reader.execute('SELECT * FROM "Invoice" LIMIT 1')
        report = build_plan_report(baseline_db, PLANS_DIR)
        plan = next(plan for plan in report.pending if plan.id == "001")
        waits = [s.line for s in plan.statements if s.forecast and s.forecast.would_wait]
        assert len(waits) == 1  # the first ACCESS EXCLUSIVE on "Invoice"; later ones find it held by the plan
        later = next(s for s in plan.statements if s.line > waits[0] and s.table == '"Invoice"')
        assert later.forecast is not None and later.forecast.locks[0].already_held == "ACCESS EXCLUSIVE"
