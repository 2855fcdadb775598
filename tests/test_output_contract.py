"""One output contract: every command's ``--format json`` validates against the shipped JSON Schema, when it
succeeds, when it finds problems and when it cannot run (then ``ok`` is false, ``error`` says why, exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from bhq_migrate.cli import full_app
from bhq_migrate.report.envelope import output_schema
from tests.conftest import CHECKS_DIR, PLANS_DIR
from tests.helpers import source_tree
from tests.prisma.test_cli import SEED_MODELS

app = full_app()
runner = CliRunner()
VALIDATOR = jsonschema.Draft202012Validator(output_schema())
UNREACHABLE = "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2"


def run_json(*args: str) -> tuple[int, dict[str, object]]:
    result = runner.invoke(app, [*args, "--format", "json"])
    try:
        body = json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"not one JSON object on stdout (exit {result.exit_code}): {result.output!r}")
    errors = sorted(VALIDATOR.iter_errors(body), key=str)
    assert not errors, [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]
    return result.exit_code, body


def test_the_schema_itself_is_valid() -> None:
    jsonschema.Draft202012Validator.check_schema(output_schema())


def test_the_schema_rejects_a_bare_list_and_an_error_with_ok_true() -> None:
    assert not VALIDATOR.is_valid([])
    bad = {"tool": "bhq-migrate", "version": "0.1.0", "command": "lint", "ok": True, "summary": {},
           "error": {"kind": "ConfigError", "message": "x"}}
    assert not VALIDATOR.is_valid(bad)


@pytest.fixture
def sql_file(tmp_path: Path) -> Path:
    path = tmp_path / "001_add.sql"
    path.write_text("ALTER TABLE t ADD COLUMN c int;\n", encoding="utf-8")
    return path


@pytest.fixture
def ts_project(tmp_path: Path) -> Path:
    source_tree(tmp_path, "prisma.invoice.findMany({ where: { tenantId: 1 } });\n")
    return tmp_path


def _success(code: int, body: dict[str, object], command: str) -> None:
    assert body["command"] == command
    assert "error" not in body
    assert body["ok"] is (code == 0), (code, body["ok"])
    assert code in (0, 1)


def _error(code: int, body: dict[str, object], command: str, kind: str) -> None:
    assert code == 2 and body["command"] == command and body["ok"] is False
    error = body["error"]
    assert isinstance(error, dict) and error["kind"] == kind and error["message"]


def test_a_usage_error_is_json_too(sql_file: Path) -> None:
    code, body = run_json("lint", str(sql_file), "--no-such-option")
    _error(code, body, "lint", "UsageError")
    assert "--no-such-option" in str(body["error"])


def test_lint(sql_file: Path) -> None:
    _success(*run_json("lint", str(sql_file)), "lint")
    _error(*run_json("lint", str(sql_file.parent / "missing.sql")), "lint", "ConfigError")


def test_scan_queries(ts_project: Path) -> None:
    code, body = run_json("scan-queries", str(ts_project))
    _success(code, body, "scan-queries")
    assert code == 1
    _error(*run_json("scan-queries", str(ts_project / "missing")), "scan-queries", "ConfigError")


def test_verify_and_the_gate(migrated_db: str, ts_project: Path) -> None:
    base = ("verify", "--plans-dir", str(PLANS_DIR), "--checks-dir", str(CHECKS_DIR))
    _success(*run_json(*base, "-d", migrated_db), "verify")
    _success(*run_json(*base, "-d", migrated_db, "--source", str(ts_project)), "verify")
    _error(*run_json(*base, "-d", UNREACHABLE), "verify", "ConnectionFailed")


def test_status_plan_and_apply(baseline_db: str) -> None:
    _success(*run_json("status", "-d", baseline_db), "status")
    _success(*run_json("plan", "-d", baseline_db), "plan")
    _success(*run_json("apply", "-d", baseline_db, "--verify"), "apply")
    for command in ("status", "plan", "apply"):
        _error(*run_json(command, "-d", UNREACHABLE), command,
               "ConnectionFailed")


def test_audit_prisma(migrated_db: str, tmp_path: Path) -> None:
    _success(*run_json("audit-prisma", str(SEED_MODELS), "-d", migrated_db), "audit-prisma")
    _error(*run_json("audit-prisma", str(tmp_path / "none.prisma"), "-d", migrated_db), "audit-prisma",
           "PrismaSchemaError")
