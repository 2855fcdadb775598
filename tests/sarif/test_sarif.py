"""SARIF from every command validates against the SARIF 2.1.0 schema; uris are relative with
``originalUriBaseIds``; database findings carry logical locations; fingerprints survive code moving."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

from bhq_migrate.cli import full_app
from tests.conftest import CHECKS_DIR, PLANS_DIR
from tests.helpers import source_tree
from tests.prisma.test_cli import SEED_MODELS
from tests.verify.conftest import execute

app = full_app()
runner = CliRunner()
SCHEMA = json.loads((Path(__file__).parent / "sarif-2.1.0-rtm.5.json").read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft4Validator(SCHEMA)
UNSCOPED = "prisma.invoice.findMany({ where: { tenantId: 1 } });\n"
SQL = "ALTER TABLE t ADD COLUMN c int NOT NULL DEFAULT 1;\nALTER TABLE t ALTER COLUMN c TYPE bigint;\n"


def sarif(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, [*args, "--format", "sarif"])
    assert result.exit_code in (0, 1), result.output
    document: dict[str, Any] = json.loads(result.stdout)
    errors = sorted(VALIDATOR.iter_errors(document), key=str)
    assert not errors, [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:5]]
    assert document["runs"][0]["results"], "a test of SARIF needs at least one result"
    return document


def physical_uris(document: dict[str, Any]) -> list[dict[str, str]]:
    return [location["physicalLocation"]["artifactLocation"]
            for result in document["runs"][0]["results"] for location in result["locations"]
            if "physicalLocation" in location]


def assert_relative(document: dict[str, Any]) -> None:
    bases = document["runs"][0]["originalUriBaseIds"]
    for location in physical_uris(document):
        assert not location["uri"].startswith(("/", "file:")), location
        assert location["uriBaseId"] in bases
    for base in bases.values():
        assert base["uri"].startswith("file:///") and base["uri"].endswith("/")


def fingerprints(document: dict[str, Any]) -> list[str]:
    return [result["partialFingerprints"]["bhqMigrate/v1"] for result in document["runs"][0]["results"]]


@pytest.fixture
def cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_scan_queries_sarif_is_valid_relative_and_keeps_fingerprints_when_lines_move(cwd: Path) -> None:
    source = source_tree(cwd, UNSCOPED)
    before = sarif("scan-queries", "src")
    assert physical_uris(before) == [{"uri": "src/a.ts", "uriBaseId": "%SRCROOT%"}]
    source.write_text("// a comment\n\nconst x = 1;\n" + UNSCOPED)
    after = sarif("scan-queries", "src")
    assert after["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 4
    assert fingerprints(after) == fingerprints(before)


def test_lint_sarif_is_valid_relative_and_keeps_fingerprints_when_lines_move(cwd: Path) -> None:
    plan = cwd / "sql" / "001_x.sql"
    plan.parent.mkdir()
    plan.write_text(SQL)
    before = sarif("lint", "sql")
    assert_relative(before)
    assert {u["uri"] for u in physical_uris(before)} == {"sql/001_x.sql"}
    plan.write_text("-- a new comment\nSELECT 1;\n\n" + SQL)
    after = sarif("lint", "sql")
    lines_before = [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in before["runs"][0]["results"]]
    lines_after = [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in after["runs"][0]["results"]]
    assert lines_after == [line + 3 for line in lines_before]
    assert fingerprints(after) == fingerprints(before)
    assert len(set(fingerprints(before))) == len(fingerprints(before)), "each result has its own identity"


def test_verify_sarif_has_logical_locations_for_database_findings(migrated_db: str, cwd: Path) -> None:
    execute(migrated_db, 'ALTER TABLE "Invoice" ALTER COLUMN "amountCents" TYPE integer')
    args = ("verify", "-d", migrated_db, "--plans-dir", str(PLANS_DIR), "--checks-dir", str(CHECKS_DIR))
    document = sarif(*args)
    assert_relative(document)
    results = document["runs"][0]["results"]
    audit = next(r for r in results if r["ruleId"] == "V001")
    assert "physicalLocation" not in audit["locations"][0]
    assert audit["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "public.Invoice.amountCents"
    declared = next(r for r in results if r["ruleId"] == "col_type_is")
    assert declared["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith(
        "001_critical_production_fixes.toml")
    assert fingerprints(document) == fingerprints(sarif(*args)), "stable across runs"


def test_gate_and_audit_prisma_sarif_are_valid(migrated_db: str, cwd: Path) -> None:
    source_tree(cwd, UNSCOPED)
    gate = sarif("verify", "-d", migrated_db, "--plans-dir", str(PLANS_DIR), "--checks-dir", str(CHECKS_DIR),
                 "--source", "src")
    assert_relative(gate)
    assert "S001" in {r["ruleId"] for r in gate["runs"][0]["results"]}
    (cwd / "prisma").mkdir()
    (cwd / "prisma" / "schema.prisma").write_text(SEED_MODELS.read_text(encoding="utf-8"), encoding="utf-8")
    audit = sarif("audit-prisma", "prisma/schema.prisma", "-d", migrated_db)
    assert_relative(audit)
    assert {u["uri"] for u in physical_uris(audit)} == {"prisma/schema.prisma"}
