"""Reports and the command line: console, JSON, JUnit XML, SARIF, exit codes."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from bhq_migrate.cli import full_app
from bhq_migrate.report.junit import to_junit_xml
from bhq_migrate.report.verify_console import render_report, render_summary
from bhq_migrate.report.verify_formats import to_findings, to_json, to_verify_sarif
from bhq_migrate.verify import Status
from tests.conftest import CHECKS_DIR, PLANS_DIR
from tests.helpers import run_cli
from tests.verify.conftest import execute, run_verify

app = full_app()

runner = CliRunner()
BREAK_MONEY = 'ALTER TABLE "Invoice" ALTER COLUMN "amountCents" TYPE integer'


def render(renderable: object) -> str:
    console = Console(width=200, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def cli(url: str, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["verify", "-d", url, "--plans-dir", str(PLANS_DIR), "--checks-dir",
                                 str(CHECKS_DIR), *args])
    return result.exit_code, result.stdout, result.stderr


def test_junit_has_one_test_case_per_check_and_failures_with_expected_and_found(migrated_db: str) -> None:
    execute(migrated_db, BREAK_MONEY)
    report = run_verify(migrated_db)
    root = ET.fromstring(to_junit_xml(report))
    cases = root.findall(".//testcase")
    assert len(cases) == len(report.results)
    assert int(root.get("failures", "-1")) == len(report.failures) == 2
    failed = next(c for c in cases if c.get("name") == "001/col_type_is/public.Invoice.amountCents")
    failure = failed.find("failure")
    assert failure is not None and failure.text is not None
    assert "expected: bigint" in failure.text and "found:    integer" in failure.text
    assert 'ALTER COLUMN "amountCents" TYPE bigint' in failure.text
    assert failed.get("file", "").endswith("001_critical_production_fixes.toml")


def test_junit_warnings_fail_only_under_strict(migrated_db: str) -> None:
    lenient = ET.fromstring(to_junit_xml(run_verify(migrated_db)))
    strict = ET.fromstring(to_junit_xml(run_verify(migrated_db, strict=True)))
    assert lenient.get("failures") == "0"
    assert int(strict.get("failures", "0")) > 0


def test_sarif_results_point_at_the_declaring_checks_file_line(migrated_db: str) -> None:
    execute(migrated_db, BREAK_MONEY)
    report = run_verify(migrated_db)
    sarif = to_verify_sarif(report)
    results = sarif["runs"][0]["results"]
    assert {r["ruleId"] for r in results} >= {"col_type_is", "V001", "V004"}
    declared = next(r for r in results if r["ruleId"] == "col_type_is")
    location = declared["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"].endswith("checks/001_critical_production_fixes.toml")
    line = location["region"]["startLine"]
    text = (CHECKS_DIR / "001_critical_production_fixes.toml").read_text().splitlines()
    assert text[line - 1].startswith("amountCents")
    rule_ids = {rule["id"] for rule in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert {"V001", "col_type_is"} <= rule_ids
    assert len(to_findings(report)) == len(results)


def test_json_carries_every_result_and_the_counts(migrated_db: str) -> None:
    report = run_verify(migrated_db)
    payload = json.loads(to_json(report))
    assert payload["ok"] is True
    assert len(payload["results"]) == len(report.results)
    assert payload["counts"]["failed"] == 0
    assert {"id", "kind", "object", "plan", "status", "expected", "found", "fix_sql"} <= set(payload["results"][0])


def test_console_report_groups_by_plan_and_table_and_shows_the_fix(migrated_db: str) -> None:
    execute(migrated_db, BREAK_MONEY)
    text = render(render_report(run_verify(migrated_db)))
    assert "plan 001" in text and "plan 002" in text and "audits" in text
    assert "public.Invoice" in text
    assert "expected bigint" in " ".join(text.split())
    assert 'ALTER TABLE public."Invoice" ALTER COLUMN "amountCents" TYPE bigint;' in text
    assert "verify FAILED: " in text and "2 failed" in text


def test_summary_is_short_and_names_failures(migrated_db: str) -> None:
    execute(migrated_db, BREAK_MONEY)
    text = render(render_summary(run_verify(migrated_db)))
    assert text.splitlines()[0].startswith("verify FAILED")
    assert "public.Invoice.amountCents" in text
    assert len(text.splitlines()) == 3


def test_cli_exit_codes_pass_fail_strict(migrated_db: str) -> None:
    assert cli(migrated_db)[0] == 0
    assert cli(migrated_db, "--strict")[0] == 1
    execute(migrated_db, BREAK_MONEY)
    assert cli(migrated_db)[0] == 1


def test_cli_writes_junit_and_prints_sarif(migrated_db: str, tmp_path: Path) -> None:
    junit = tmp_path / "out" / "verify.xml"
    junit.parent.mkdir()  # an output file's folder must exist (a missing one is an error, see test_bad_input)
    code, out, _ = cli(migrated_db, "--format", "sarif", "--junit-xml", str(junit))
    assert code == 0
    assert json.loads(out)["version"] == "2.1.0"
    assert ET.parse(junit).getroot().tag == "testsuites"


def test_cli_json_output_parses(migrated_db: str) -> None:
    code, out, _ = cli(migrated_db, "--format", "json", "--table", "Tenant")
    assert code == 0
    payload = json.loads(out)
    assert {r["table"] for r in payload["results"] if r["table"]} == {"public.Tenant"}


@pytest.mark.parametrize("option", ["--schema", "--table"])
def test_cli_filter_that_matches_nothing_is_exit_2(migrated_db: str, option: str) -> None:
    result = run_cli("verify", "-d", migrated_db, option, "nosuch")
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stderr.strip() == f"error: nothing to verify: {option} nosuch matched nothing"
    assert "verify passed" not in result.stdout


def test_cli_malformed_checks_file_is_exit_2_naming_file_and_key(migrated_db: str, tmp_path: Path) -> None:
    checks = tmp_path / "checks"
    checks.mkdir()
    for path in CHECKS_DIR.glob("*.toml"):
        (checks / path.name).write_text(path.read_text())
    (checks / "002_marketplace_schema.toml").write_text('plan = "002"\n[tables."x".columns]\nc = { type = 5 }\n')
    result = runner.invoke(app, ["verify", "-d", migrated_db, "--checks-dir", str(checks)])
    assert result.exit_code == 2
    assert "002_marketplace_schema.toml: tables.\"x\".columns.c.type" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_cli_unreachable_database_is_exit_2_without_password() -> None:
    url = "postgresql://someone:s3cret-pw@127.0.0.1:1/nowhere"
    result = runner.invoke(app, ["verify", "-d", url, "--plans-dir", str(PLANS_DIR), "--checks-dir", str(CHECKS_DIR)])
    assert result.exit_code == 2
    assert "s3cret-pw" not in result.stderr + result.stdout
    assert "cannot connect" in result.stderr


def test_cli_unknown_plan_is_exit_2(migrated_db: str) -> None:
    code, _, err = cli(migrated_db, "--plan", "999")
    assert code == 2
    assert "unknown plan id(s): 999" in err


def test_passing_checks_can_be_listed(migrated_db: str) -> None:
    report = run_verify(migrated_db, tables=("Payment",))
    text = render(render_report(report, show_passed=True))
    assert any(r.status is Status.PASS for r in report.results)
    assert "col_type_is" in text


def test_every_declared_result_points_at_the_line_declaring_it(migrated_db: str) -> None:
    attributes = {"type", "nullable", "default", "where", "columns", "unique", "method", "values", "expression",
                  "on_delete", "on_update"}
    for declared in (r for r in run_verify(migrated_db).results if r.source and r.key_path):
        parts = [p.strip('"') for p in re.findall(r'"[^"]*"|[^."\[\]]+', declared.key_path) if not p.isdigit()]
        lines = Path(declared.source).read_text().splitlines()[: declared.line]
        if parts[-1] in attributes and not lines[-1].startswith(parts[-2]):
            # an attribute line inside the object's own [section]
            assert lines[-1].startswith(f"{parts[-1]} ="), (declared.id, lines[-1])
            header = next(line for line in reversed(lines) if line.startswith("["))
            assert parts[-2] in header, (declared.id, header)
        else:
            key = parts[-2] if parts[-1] in attributes else parts[-1]
            assert key in lines[-1], (declared.id, declared.line, lines[-1])


def test_cli_a_checked_plan_without_a_checks_file_is_exit_2(migrated_db: str, tmp_path: Path) -> None:
    checks = tmp_path / "checks"
    checks.mkdir()
    (checks / "001_critical_production_fixes.toml").write_text(
        (CHECKS_DIR / "001_critical_production_fixes.toml").read_text()
    )
    result = runner.invoke(app, ["verify", "-d", migrated_db, "--checks-dir", str(checks)])
    assert result.exit_code == 2
    assert "no checks file for plan(s) 002" in result.stderr


def test_the_summary_helper_for_apply_and_demo_prints_and_returns_the_verdict(
    migrated_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from bhq_migrate.cli.verify import print_verify_summary

    assert print_verify_summary(migrated_db, PLANS_DIR, CHECKS_DIR) is True
    assert "verify passed" in capsys.readouterr().out
    execute(migrated_db, BREAK_MONEY)
    assert print_verify_summary(migrated_db, PLANS_DIR, CHECKS_DIR) is False
    assert "public.Invoice.amountCents" in capsys.readouterr().out
