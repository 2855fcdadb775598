"""`export-prisma` and `audit-prisma` as an operator runs them: output formats, exit codes, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import run_cli
from tests.prisma.test_snippet import snippet

SEED_MODELS = Path(__file__).parent / "fixtures" / "seed_models.prisma"
SECRET = "Sup3r-Secret-pw"


def _one_line_error(result, code: int) -> str:  # type: ignore[no-untyped-def]
    assert result.returncode == code, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    return lines[0]


def test_export_prisma_writes_the_default_plans(tmp_path: Path) -> None:
    result = run_cli("export-prisma", str(tmp_path / "migrations"))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "migrations").iterdir()) == [
        "20260112000001_critical_production_fixes", "20260112000002_marketplace_schema", "migration_lock.toml",
    ]
    assert "optional plans skipped" in result.stdout


def test_export_prisma_with_optional_adds_plan_003(tmp_path: Path) -> None:
    result = run_cli("export-prisma", str(tmp_path), "--with-optional")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "20260112000003_hardening" / "migration.sql").is_file()


def test_export_prisma_refuses_a_changed_migration_with_exit_2(tmp_path: Path) -> None:
    assert run_cli("export-prisma", str(tmp_path)).returncode == 0
    (tmp_path / "20260112000001_critical_production_fixes" / "migration.sql").write_text("-- changed\n")
    assert "modified after it was applied" in _one_line_error(run_cli("export-prisma", str(tmp_path)), 2)


def test_audit_prisma_exits_1_on_drift(migrated_db: str) -> None:
    result = run_cli("audit-prisma", str(SEED_MODELS), "--database-url", migrated_db)
    assert result.returncode == 1, result.stderr
    assert "drift P007 unique-not-in-database" in result.stdout
    assert "155 drift, 13 expected" in result.stdout


def test_audit_prisma_exits_0_when_only_expected_differences_remain(migrated_db: str, tmp_path: Path) -> None:
    schema = tmp_path / "schema.prisma"
    schema.write_text(snippet())
    result = run_cli("audit-prisma", str(schema), "--database-url", migrated_db)
    assert result.returncode == 0, result.stdout
    assert "0 drift, 28 expected; in sync" in result.stdout


def test_audit_prisma_json(migrated_db: str) -> None:
    result = run_cli("audit-prisma", str(SEED_MODELS), "--database-url", migrated_db, "--format", "json")
    document = json.loads(result.stdout)
    assert document["in_sync"] is False
    assert document["summary"] == {"drift": 155, "expected": 13}
    first = document["findings"][0]
    assert {"file", "line", "column", "rule", "severity", "message", "help", "classification", "subject"} <= set(first)


def test_audit_prisma_sarif(migrated_db: str) -> None:
    result = run_cli("audit-prisma", str(SEED_MODELS), "--database-url", migrated_db, "--format", "sarif")
    run = json.loads(result.stdout)["runs"][0]
    assert len(run["results"]) == 168
    assert {rule["id"] for rule in run["tool"]["driver"]["rules"]} >= {"P007", "P009", "P013"}
    assert result.returncode == 1


def test_malformed_schema_is_one_line_with_position_and_exit_2(tmp_path: Path) -> None:
    broken = tmp_path / "schema.prisma"
    broken.write_text('datasource db {\n  provider = "postgresql"\n}\nmodel A {\n  id Int @id @default(\n}\n')
    line = _one_line_error(run_cli("audit-prisma", str(broken), "--database-url", "postgresql://x@127.0.0.1:1/x"), 2)
    assert f"{broken}:6:1: syntax error" in line


def test_unreachable_database_is_one_line_without_password() -> None:
    result = run_cli("audit-prisma", str(SEED_MODELS), "--database-url", f"postgresql://ops:{SECRET}@127.0.0.1:1/db")
    line = _one_line_error(result, 2)
    assert "connection refused" in line
    assert SECRET not in result.stdout + result.stderr
