"""`plan --trace`: statements run on a scratch copy (rolled back), observed locks/rewrites vs lint's prediction."""

from __future__ import annotations

import json
import threading
import uuid
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from bhq_migrate.cli.app import app
from bhq_migrate.connection import with_dbname
from bhq_migrate.migrate import trace
from bhq_migrate.migrate.plan_report import build_plan_report
from bhq_migrate.migrate.trace import CONFIRMED, MISMATCH, NOT_RUN, NOT_TRACED, trace_report
from tests.helpers import scalar
from tests.lint.helpers import PLANS_DIR
from tests.lint.test_rules import CASES

runner = CliRunner()



def _scratch_databases(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [row[0] for row in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'bhq_trace_%'")]


def _plan(tmp_path: Path, *texts: str) -> Path:
    for index, text in enumerate(texts, start=1):
        (tmp_path / f"{index:03d}_case.sql").write_text(
            f"-- description: case {index}\n-- transactional: true\n\n{text}\n", encoding="utf-8")
    return tmp_path


def test_shipped_plans_trace_without_mismatch_on_a_clone(baseline_db: str) -> None:
    report = build_plan_report(baseline_db, PLANS_DIR, with_optional=True)
    summary = trace_report(report, baseline_db)
    assert summary.method == "template clone"
    verdicts = {(plan.id, s.line): s.trace for plan in report.pending for s in plan.statements}
    assert all(trace is not None for trace in verdicts.values())
    problems = {key: trace.reasons for key, trace in verdicts.items() if trace and trace.verdict in (MISMATCH, NOT_RUN)}
    assert problems == {}
    invoice = next(s for s in report.pending[0].statements if s.sql.startswith('ALTER TABLE "Invoice"\n'))
    assert invoice.trace is not None and invoice.trace.verdict == CONFIRMED
    assert '"Invoice"' in invoice.trace.rewritten
    assert summary.counts[CONFIRMED] >= 20
    assert _scratch_databases(baseline_db) == []
    assert scalar(baseline_db, """SELECT data_type FROM information_schema.columns
                                   WHERE table_name = 'Invoice' AND column_name = 'amountCents'""") == "integer"


def test_connected_session_forces_a_schema_only_copy(baseline_db: str) -> None:
    with psycopg.connect(baseline_db):
        report = build_plan_report(baseline_db, PLANS_DIR)
        summary = trace_report(report, baseline_db)
    assert summary.method.startswith("schema-only copy (1 other session(s) connected")
    assert MISMATCH not in summary.counts and NOT_RUN not in summary.counts
    assert _scratch_databases(baseline_db) == []


def test_a_bhq_migrate_session_still_exiting_is_waited_for_and_the_clone_made(
        baseline_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # As a connection we closed a moment ago looks while its backend exits: idle, named bhq-migrate. It closes
    # once the trace is seen counting sessions; the generous bound only matters if the wait is broken.
    monkeypatch.setattr(trace, "EXITING_SESSION_WAIT_S", 600.0)
    lingering = psycopg.connect(baseline_db, application_name="bhq-migrate 0.0 (an earlier read)")
    report = build_plan_report(baseline_db, PLANS_DIR)
    seen = threading.Event()

    def close_once_the_trace_counts() -> None:
        with psycopg.connect(with_dbname(baseline_db, "postgres"), autocommit=True) as watcher:
            for _ in range(6000):
                if watcher.execute("SELECT 1 FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
                                   "AND query LIKE '%%Sessions connected to the database to clone%%'").fetchone():
                    seen.set()
                    break
                watcher.execute("SELECT pg_sleep(0.01)")
        lingering.close()

    closer = threading.Thread(target=close_once_the_trace_counts)
    closer.start()
    try:
        summary = trace_report(report, baseline_db)
    finally:
        closer.join()
    assert seen.is_set()
    assert summary.method == "template clone"
    assert _scratch_databases(baseline_db) == []


def test_a_bhq_migrate_session_that_stays_is_given_up_on(baseline_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(trace, "EXITING_SESSION_WAIT_S", 0.0)
    with psycopg.connect(baseline_db, application_name="bhq-migrate 0.0 (another run)"):
        report = build_plan_report(baseline_db, PLANS_DIR)
        summary = trace_report(report, baseline_db)
    assert summary.method.startswith("schema-only copy (1 other session(s) connected")


def test_an_application_session_ends_the_wait_at_once(baseline_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def waited(seconds: float) -> None:
        raise AssertionError(f"the trace waited {seconds} s for the application's session to go")

    monkeypatch.setattr(trace, "sleep", waited)
    with psycopg.connect(baseline_db, application_name="breederhq-api"):
        report = build_plan_report(baseline_db, PLANS_DIR)
        summary = trace_report(report, baseline_db)
    assert summary.method.startswith("schema-only copy (1 other session(s) connected")


def test_too_big_for_a_clone_gets_a_schema_only_copy(baseline_db: str) -> None:
    report = build_plan_report(baseline_db, PLANS_DIR)
    summary = trace_report(report, baseline_db, clone_max_bytes=0)
    assert "over the clone limit" in summary.method
    assert _scratch_databases(baseline_db) == []


def test_concurrently_is_not_traced_and_a_mismatch_is_reported(baseline_db: str, tmp_path: Path) -> None:
    plans = _plan(tmp_path, 'CREATE INDEX CONCURRENTLY "i_tenant" ON "Invoice" ("tenantId");\n'
                            'TRUNCATE "Payment";')
    (tmp_path / "001_case.sql").write_text((tmp_path / "001_case.sql").read_text().replace(
        "transactional: true", "transactional: false"), encoding="utf-8")
    report = build_plan_report(baseline_db, plans)
    trace_report(report, baseline_db)
    concurrently, truncate = report.pending[0].statements
    assert concurrently.trace is not None and concurrently.trace.verdict == NOT_TRACED
    assert truncate.trace is not None
    # TRUNCATE gives the table a new relfilenode: the trace reports what lint predicted for it, whatever it is.
    assert '"Payment"' in truncate.trace.rewritten


def test_failing_statement_is_not_run_and_scratch_is_dropped(baseline_db: str, tmp_path: Path) -> None:
    report = build_plan_report(baseline_db, _plan(tmp_path, 'ALTER TABLE "Invoice" DROP COLUMN "nope";'))
    trace_report(report, baseline_db)
    trace = report.pending[0].statements[0].trace
    assert trace is not None and trace.verdict == NOT_RUN and "nope" in trace.reasons[0]
    assert _scratch_databases(baseline_db) == []


# L000's failing example is SQL PostgreSQL rejects: the plan loader refuses it before any trace (tested in lint).
TRACEABLE = [case for case in CASES if case.rule != "L000"]


@pytest.mark.parametrize("case", TRACEABLE, ids=lambda case: case.rule)
def test_every_rule_failing_example_traces_without_mismatch(
    baseline_db: str, tmp_path: Path, case: object
) -> None:
    texts = (case.given, case.fail) if case.given else (case.fail,)  # type: ignore[attr-defined]
    plans = _plan(tmp_path, *texts)
    report = build_plan_report(baseline_db, plans)
    trace_report(report, baseline_db)
    for plan in report.pending:
        for statement in plan.statements:
            assert statement.trace is not None
            assert statement.trace.verdict != MISMATCH, (statement.sql, statement.trace.reasons)
            if statement.trace.verdict == NOT_RUN:
                assert statement.trace.reasons  # the error explains why it can't run on the baseline schema


def test_set_logged_traces_confirmed_whether_it_copies_the_table_or_not(baseline_db: str, tmp_path: Path) -> None:
    example = next(case for case in CASES if case.rule == "L052")  # its failing example, after its given plan
    plans = _plan(tmp_path, example.given, example.fail + '\nALTER TABLE "Invoice" SET LOGGED;')
    report = build_plan_report(baseline_db, plans)
    trace_report(report, baseline_db)
    copies, already_logged = report.pending[1].statements
    # Plan 001 created the table UNLOGGED: SET LOGGED copies it, as lint predicts and PostgreSQL does.
    assert copies.effect == "rewrite"
    assert copies.trace is not None and copies.trace.verdict == CONFIRMED, copies.trace
    assert copies.trace.rewritten == ["audit_log"]
    # The catalog says "Invoice" is logged already: ACCESS EXCLUSIVE, nothing copied, and nothing for L052.
    assert (already_logged.effect, already_logged.lock_mode) == ("catalog", "ACCESS EXCLUSIVE")
    assert already_logged.trace is not None and already_logged.trace.verdict == CONFIRMED, already_logged.trace
    assert already_logged.trace.rewritten == []
    assert "L052" not in {finding.rule for finding in already_logged.findings}


def test_cli_trace_json_and_console(baseline_db: str) -> None:
    result = runner.invoke(app, ["plan", "-d", baseline_db, "--trace", "--format", "json"])
    payload = json.loads(result.stdout)
    assert payload["trace"]["method"] == "template clone"
    assert all(s["trace"]["verdict"] for s in payload["pending"][0]["statements"])
    console = runner.invoke(app, ["plan", "-d", baseline_db, "--trace"])
    assert "trace (template clone):" in console.stdout
    assert "Confirmed: ACCESS EXCLUSIVE on \"Invoice\"" in console.stdout
    assert "Mismatch" not in console.stdout


def test_a_role_without_createdb_gets_trace_not_possible_and_exit_2(baseline_db: str) -> None:
    role = f"bhq_trace_{uuid.uuid4().hex[:8]}"  # roles are cluster-wide: a name no parallel test shares
    with psycopg.connect(baseline_db, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'pw-trace-1' NOCREATEDB")
        admin.execute(f"GRANT pg_read_all_data TO {role}")  # plan itself reads the tables
    params = psycopg.conninfo.conninfo_to_dict(baseline_db)
    params.update(user=role, password="pw-trace-1")
    url = psycopg.conninfo.make_conninfo(**params)  # type: ignore[arg-type]
    try:
        result = runner.invoke(app, ["plan", "-d", url, "--trace"])
        assert result.exit_code == 2
        assert "trace not possible: cannot create a scratch database: permission denied" in result.output
        assert "pw-trace-1" not in result.output
    finally:
        with psycopg.connect(baseline_db, autocommit=True) as admin:
            admin.execute(f"DROP ROLE {role}")
