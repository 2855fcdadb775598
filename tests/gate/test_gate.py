"""``verify --source``: one gate over schema and code, against a migrated database and a fixture project."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bhq_migrate.cli import full_app
from tests.conftest import CHECKS_DIR, PLANS_DIR
from tests.scan.helpers import project
from tests.verify.conftest import execute

app = full_app()
runner = CliRunner()

FUNCTION = "export async function f() {{\n  return {};\n}}\n"
CLEAN = FUNCTION.format("prisma.invoice.findMany({ where: { tenantId: 1, deletedAt: null } })")
UNSCOPED = FUNCTION.format("prisma.invoice.findMany({ where: { tenantId: 1 } })")
TENANT_ONLY = FUNCTION.format("prisma.invoice.findFirst({ where: { id: 1, deletedAt: null } })")
BREAK_INDEX = 'DROP INDEX "Payment_invoiceId_status_idx"'


def gate(url: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["verify", "-d", url, "--plans-dir", str(PLANS_DIR), "--checks-dir", str(CHECKS_DIR),
                                 "--source", "src", *args])
    return result.exit_code, result.stdout


@pytest.fixture
def code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder, made the working directory (CI runs the gate from the repository root)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_clean_code_on_a_migrated_database_passes(migrated_db: str, code: Path) -> None:
    project(code, {"src/invoices.ts": CLEAN})
    exit_code, output = gate(migrated_db)
    assert exit_code == 0, output
    assert "schema" in output and "code (src)" in output
    assert "gate passed" in output


def test_one_unscoped_read_fails_the_gate_in_every_format(migrated_db: str, code: Path) -> None:
    project(code, {"src/invoices.ts": UNSCOPED})
    exit_code, console = gate(migrated_db, "--junit-xml", "junit.xml")
    assert exit_code == 1
    assert "S001" in console and "src/invoices.ts" in console and "gate FAILED" in console
    assert "code 1 finding(s) at or above error" in console

    exit_code, text = gate(migrated_db, "-f", "json")
    body = json.loads(text)
    assert exit_code == 1 and body["ok"] is False and body["command"] == "verify"
    assert body["summary"]["schema"]["ok"] is True and body["summary"]["code"]["error"] == 1
    assert [(f["rule"], f["file"], f["line"]) for f in body["code"]["findings"]] == [("S001", "src/invoices.ts", 2)]
    assert body["results"], "the schema half is in the same object"

    exit_code, text = gate(migrated_db, "-f", "sarif")
    run = json.loads(text)["runs"][0]
    assert exit_code == 1
    scan_results = [r for r in run["results"] if r["ruleId"] == "S001"]
    assert len(scan_results) == 1
    location = scan_results[0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "src/invoices.ts", "uriBaseId": "%SRCROOT%"}
    assert "S001" in {rule["id"] for rule in run["tool"]["driver"]["rules"]}

    junit = ET.parse(code / "junit.xml").getroot()
    code_suite = next(s for s in junit.iter("testsuite") if s.get("name") == "code")
    failure = code_suite.find("testcase/failure")
    assert failure is not None and failure.get("type") == "S001"
    assert junit.get("failures") == "1"


def test_a_broken_index_with_clean_code_fails_the_gate(migrated_db: str, code: Path) -> None:
    execute(migrated_db, BREAK_INDEX)
    project(code, {"src/invoices.ts": CLEAN})
    exit_code, text = gate(migrated_db, "-f", "json")
    body = json.loads(text)
    assert exit_code == 1
    assert body["summary"]["schema"]["ok"] is False and body["summary"]["code"]["ok"] is True
    assert any(r["status"] == "fail" and "Payment_invoiceId_status_idx" in r["id"] for r in body["results"])


def test_fail_on_decides_which_code_findings_fail(migrated_db: str, code: Path) -> None:
    project(code, {"src/invoices.ts": TENANT_ONLY})
    exit_code, text = gate(migrated_db, "-f", "json")
    findings = json.loads(text)["code"]["findings"]
    assert [f["severity"] for f in findings] == ["warning"]
    assert exit_code == 0, "a warning does not fail the default (error) threshold"
    assert gate(migrated_db, "--fail-on", "warning")[0] == 1


def test_fail_on_comes_from_the_scan_configuration(migrated_db: str, code: Path) -> None:
    project(code, {"src/invoices.ts": TENANT_ONLY})
    (code / "bhq-migrate.toml").write_text('[scan]\nfail-on = "warning"\n', encoding="utf-8")
    assert gate(migrated_db)[0] == 1
    assert gate(migrated_db, "--fail-on", "error")[0] == 0, "the option wins over the file"


def test_a_missing_source_path_cannot_run(migrated_db: str, code: Path) -> None:
    exit_code, _ = gate(migrated_db)
    assert exit_code == 2


def test_apply_verify_source_runs_the_gate_after_applying(baseline_db: str, code: Path) -> None:
    project(code, {"src/invoices.ts": UNSCOPED})
    result = runner.invoke(app, ["apply", "-d", baseline_db, "--plans-dir", str(PLANS_DIR), "--verify",
                                 "--source", "src", "-f", "json"])
    body = json.loads(result.stdout)
    assert result.exit_code == 1, result.output
    assert body["verify"]["summary"]["code"]["error"] == 1
    assert body["verify"]["summary"]["schema"]["failed"] == 0

