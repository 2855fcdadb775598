"""The command line as an operator meets it: one-line errors, exit codes, JSON, and no passwords."""

from __future__ import annotations

import json

import psycopg
import pytest
from psycopg import conninfo

from tests.helpers import run_cli, scalar

SECRET = "Sup3r-Secret-pw"


def _with(url: str, **changes: str) -> str:
    params = conninfo.conninfo_to_dict(url)
    params.update(changes)
    host, port, user, dbname = params["host"], params.get("port", "5432"), params["user"], params["dbname"]
    password = params.get("password", "")
    return f"postgresql://{user}:{password}@{host}:{port}/{dbname}"


def _assert_one_line_error(result, code: int) -> str:  # type: ignore[no-untyped-def]
    assert result.returncode == code, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert SECRET not in result.stderr + result.stdout
    return lines[0]


def test_unreachable_server_is_one_line_without_password() -> None:
    result = run_cli("apply", "--database-url", f"postgresql://ops:{SECRET}@127.0.0.1:1/breederhq")
    assert "connection refused" in _assert_one_line_error(result, 2)


def test_malformed_url_is_one_line_without_password() -> None:
    result = run_cli("status", "--database-url", f"postgresql://ops:{SECRET}@127.0.0.1:5432/db?bogus_option=1")
    assert "malformed database URL" in _assert_one_line_error(result, 2)


def test_missing_database_is_named(baseline_db: str) -> None:
    url = _with(baseline_db, dbname="no_such_database_here")
    result = run_cli("status", "--database-url", url)
    assert 'database "no_such_database_here" does not exist' in _assert_one_line_error(result, 2)


def test_bad_credentials_are_one_line_without_password(baseline_db: str) -> None:
    with psycopg.connect(baseline_db, autocommit=True) as conn:
        conn.execute("DROP ROLE IF EXISTS bhq_cli_user")
        conn.execute("CREATE ROLE bhq_cli_user LOGIN PASSWORD 'the-right-one'")
        auth = conn.execute("SELECT count(*) FROM pg_hba_file_rules WHERE auth_method = 'trust' "
                            "AND 'host' = type").fetchone()
    if auth and auth[0]:
        pytest.skip("this server trusts TCP logins, so a wrong password cannot be rejected")  # env URL servers only
    result = run_cli("status", "--database-url", _with(baseline_db, user="bhq_cli_user", password=SECRET))
    assert 'authentication failed for user "bhq_cli_user"' in _assert_one_line_error(result, 2)


def test_insufficient_privileges_are_one_line(baseline_db: str) -> None:
    with psycopg.connect(baseline_db, autocommit=True) as conn:
        conn.execute("DROP ROLE IF EXISTS bhq_cli_reader")
        conn.execute(f"CREATE ROLE bhq_cli_reader LOGIN PASSWORD '{SECRET}'")
        conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    result = run_cli("apply", "--database-url", _with(baseline_db, user="bhq_cli_reader", password=SECRET))
    assert "insufficient privileges" in _assert_one_line_error(result, 2)


def test_no_url_points_to_demo_and_never_uses_a_throwaway_database() -> None:
    result = run_cli("apply", env={"PGHOST": "", "PGDATABASE": "", "PGSERVICE": ""})
    assert "bhq-migrate demo" in _assert_one_line_error(result, 2)


def test_database_url_environment_variable_is_used(baseline_db: str) -> None:
    result = run_cli("status", "--format", "json", env={"DATABASE_URL": baseline_db})
    assert result.returncode == 0, result.stderr
    states = [plan["state"] for plan in json.loads(result.stdout)["plans"]]
    assert states == ["pending", "pending", "optional", "optional"]


def test_status_never_writes_not_even_the_history_table(baseline_db: str) -> None:
    result = run_cli("status", "--database-url", baseline_db)
    assert result.returncode == 0, result.stderr
    assert "pending" in result.stdout and "(no history table yet)" in result.stdout
    assert scalar(baseline_db, "SELECT to_regclass('bhq_migrate.history')") is None


def test_apply_json_reports_each_plan(baseline_db: str) -> None:
    result = run_cli("apply", "--database-url", baseline_db, "--format", "json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["ok"] is True
    assert [(o["id"], o["status"]) for o in payload["outcomes"]] == [("001", "applied"), ("002", "applied")]


def test_apply_json_preflight_failure_lists_problems_and_exits_1(baseline_db: str) -> None:
    from bhq_migrate.baseline.loader import plant_duplicate_contacts

    with psycopg.connect(baseline_db) as conn:
        plant_duplicate_contacts(conn)
    result = run_cli("apply", "--database-url", baseline_db, "--format", "json")
    assert result.returncode == 1
    payload = json.loads(result.stdout)
    assert payload["ok"] is False and payload["preflight"][0]["code"] == "duplicate-keys"


def test_console_preflight_failure_lists_duplicates_then_one_error_line(baseline_db: str) -> None:
    from bhq_migrate.baseline.loader import plant_duplicate_contacts

    with psycopg.connect(baseline_db) as conn:
        plant_duplicate_contacts(conn)
    result = run_cli("apply", "--database-url", baseline_db)
    assert result.returncode == 1
    assert '("marketplaceUserId", "tenantId") = (' in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: pre-flight refused plan 001")


def test_dry_run_cli_shows_what_would_run(baseline_db: str) -> None:
    result = run_cli("apply", "--database-url", baseline_db, "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "would run" in result.stdout and "2 plan(s) would apply." in result.stdout
    assert scalar(baseline_db, "SELECT to_regclass('marketplace.users')") is None


def test_unknown_plan_id_is_a_usage_error(baseline_db: str) -> None:
    result = run_cli("apply", "--database-url", baseline_db, "--only", "042")
    assert "unknown plan id(s): 042" in _assert_one_line_error(result, 2)


def test_libpq_environment_variables_work_without_a_url(baseline_db: str) -> None:
    params = conninfo.conninfo_to_dict(baseline_db)
    env = {"PGHOST": str(params["host"]), "PGPORT": str(params.get("port", "5432")), "PGUSER": str(params["user"]),
           "PGPASSWORD": str(params.get("password", "")), "PGDATABASE": str(params["dbname"])}
    result = run_cli("status", "--format", "json", env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["database"].endswith(f"/{params['dbname']}")


def test_apply_verify_runs_verify_in_the_same_invocation(baseline_db: str) -> None:
    result = run_cli("apply", "--database-url", baseline_db, "--verify")
    assert result.returncode == 0, result.stderr
    assert "2 plan(s) applied." in result.stdout and "verify passed" in result.stdout


def test_apply_verify_fails_when_the_result_is_wrong(baseline_db: str) -> None:
    """A plans directory whose 001 forgets an index: apply succeeds, verify against checks/ fails (exit 1)."""
    import shutil
    import tempfile
    from pathlib import Path

    from tests.conftest import PLANS_DIR

    plans = Path(tempfile.mkdtemp()) / "sql"
    shutil.copytree(PLANS_DIR, plans)
    plan = plans / "001_critical_production_fixes.sql"
    text = plan.read_text()
    index = 'CREATE INDEX IF NOT EXISTS "Invoice_stripe_idx"'
    plan.write_text(text.replace(index, index.replace("stripe_idx", "stripe_idx_renamed")))
    result = run_cli("apply", "--database-url", baseline_db, "--plans-dir", str(plans), "--verify", "--format", "json")
    assert result.returncode == 1, result.stderr
    payload = json.loads(result.stdout)
    assert payload["ok"] is False, "ok is the whole command's verdict: exit code 1"
    assert payload["summary"]["applied"] == 2 and payload["verify"]["ok"] is False
    assert "Invoice_stripe_idx" in json.dumps(payload["verify"])
