"""Answers people can act on (issue 10, "What to build" 6): "needs review" findings that share one cause (a
helper the scan cannot follow, a parameter of one exported function) are reported once, with the count, the
call sites and how to settle them; --scoping-helper and --unscoped-helper settle them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from bhq_migrate.cli import full_app
from bhq_migrate.errors import ConfigError
from bhq_migrate.report.envelope import output_schema
from bhq_migrate.scan import ScanConfig, ScanResult, scan
from tests.scan.helpers import FIXTURES

ROOT = FIXTURES / "review_causes"
runner = CliRunner()
app = full_app()


def where(result: ScanResult) -> list[tuple[str, int, str]]:
    return [(Path(f.file).resolve().relative_to(ROOT.resolve()).as_posix(), f.line, f.rule) for f in result.findings]


def sites_of(result: ScanResult, file: str, line: int) -> list[tuple[str, int]]:
    finding = next(f for f in result.findings if f.file.endswith(file) and f.line == line)
    return [(Path(s.file).resolve().relative_to(ROOT.resolve()).as_posix(), s.line) for s in finding.sites]


def test_reviews_with_one_cause_are_reported_once_with_their_call_sites() -> None:
    result = scan([ROOT], ScanConfig(jobs=1))
    assert where(result) == [
        ("src/tasks/list.ts", 6, "S007"),     # helper taskWhere, imported from a package: 3 queries
        ("src/tasks/repo.ts", 5, "S007"),     # parameter 'where' of exported pageOfTasks(): 2 queries
        ("src/tasks/search.ts", 10, "S007"),  # helper commentArgs (builds the whole args): 1 query
        ("src/tasks/service.ts", 11, "S007"),  # this.scoped(), inherited from a class it cannot read: 2
    ]
    assert sites_of(result, "list.ts", 6) == [("src/tasks/list.ts", 6), ("src/tasks/list.ts", 10),
                                              ("src/tasks/search.ts", 6)]
    assert sites_of(result, "repo.ts", 5) == [("src/tasks/repo.ts", 5), ("src/tasks/repo.ts", 6)]
    assert sites_of(result, "search.ts", 10) == [("src/tasks/search.ts", 10)]
    assert sites_of(result, "service.ts", 11) == [("src/tasks/service.ts", 11), ("src/tasks/service.ts", 15)]
    helper = result.findings[0]
    assert helper.message.startswith("3 queries cannot be checked for one reason, helper taskWhere (imported "
                                     "from '@acme/filters')")
    assert "--scoping-helper taskWhere" in helper.message and "--unscoped-helper taskWhere" in helper.message
    parameter = result.findings[1]
    assert "parameter 'where' of exported function pageOfTasks() (line 4)" in parameter.message
    assert "--scoping-helper" not in parameter.message
    single = result.findings[2]
    assert single.message.startswith("comment.findMany(): cannot tell whether the where excludes deleted Comment "
                                     "rows; it depends on helper commentArgs (imported from '@acme/filters')")
    assert "a method not found in this class" in result.findings[3].message


def test_scoping_helper_settles_every_query_of_its_cause() -> None:
    result = scan([ROOT], ScanConfig(jobs=1, scoping_helpers=("activeOnly", "taskWhere", "scoped")))
    assert where(result) == [("src/tasks/repo.ts", 5, "S007"), ("src/tasks/search.ts", 10, "S007")]


def test_unscoped_helper_turns_its_queries_into_unscoped_reads() -> None:
    result = scan([ROOT], ScanConfig(jobs=1, unscoped_helpers=("taskWhere", "commentArgs")))
    assert where(result) == [
        ("src/tasks/list.ts", 6, "S001"),
        ("src/tasks/list.ts", 10, "S001"),
        ("src/tasks/repo.ts", 5, "S007"),
        ("src/tasks/search.ts", 6, "S001"),
        ("src/tasks/search.ts", 10, "S001"),
        ("src/tasks/service.ts", 11, "S007"),
    ]
    # the read that adds deletedAt itself stays scoped whatever the helper does
    assert ("src/tasks/list.ts", 14, "S001") not in where(result)


def test_a_helper_declared_both_ways_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="both as a scoping and as an unscoped helper: taskWhere"):
        scan([ROOT], ScanConfig(jobs=1, scoping_helpers=("taskWhere",), unscoped_helpers=("taskWhere",)))


def test_the_group_keeps_its_fingerprint_when_call_sites_move_or_grow(tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(ROOT, copy)
    before = {f.fingerprint for f in scan([copy], ScanConfig(jobs=1)).findings}
    listing = copy / "src" / "tasks" / "list.ts"
    listing.write_text("\n\n" + listing.read_text() + "\nexport const more = (p: number) => "
                       "prisma.task.findFirst({ where: taskWhere({ projectId: p }) });\n")
    after = scan([copy], ScanConfig(jobs=1))
    assert {f.fingerprint for f in after.findings} == before
    assert len(after.findings[0].sites) == 4


def run_cli(*args: str):
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        return runner.invoke(app, ["scan-queries", ".", *args])
    finally:
        os.chdir(cwd)


def test_json_rows_carry_the_cause_and_the_sites_and_validate() -> None:
    result = run_cli("--format", "json")
    assert result.exit_code == 0, result.output  # S007 is a warning; the default --fail-on is error
    body = json.loads(result.stdout)
    assert not list(jsonschema.Draft202012Validator(output_schema()).iter_errors(body))
    rows = {(row["file"], row["line"]): row for row in body["findings"]}
    helper = rows[("src/tasks/list.ts", 6)]
    assert helper["cause"] == {
        "kind": "helper", "name": "taskWhere", "origin": "imported from '@acme/filters'", "count": 3,
        "settle": "if it adds deletedAt: null, pass --scoping-helper taskWhere; if it does not, pass "
                  "--unscoped-helper taskWhere (its uses then become S001 unscoped reads)"}
    assert [(s["file"], s["line"], s["model"], s["method"]) for s in helper["sites"]] == [
        ("src/tasks/list.ts", 6, "Task", "findMany"), ("src/tasks/list.ts", 10, "Task", "count"),
        ("src/tasks/search.ts", 6, "Task", "findFirst")]
    assert rows[("src/tasks/repo.ts", 5)]["cause"]["kind"] == "parameter"


def test_sarif_lists_the_call_sites_as_related_locations() -> None:
    result = run_cli("--format", "sarif")
    sarif = json.loads(result.stdout)
    results = sarif["runs"][0]["results"]
    first = results[0]
    assert first["ruleId"] == "S007"
    related = [(r["physicalLocation"]["artifactLocation"]["uri"], r["physicalLocation"]["region"]["startLine"])
               for r in first["relatedLocations"]]
    assert related == [("src/tasks/list.ts", 6), ("src/tasks/list.ts", 10), ("src/tasks/search.ts", 6)]
    single = next(r for r in results if r["locations"][0]["physicalLocation"]["region"]["startLine"] == 10)
    assert "relatedLocations" not in single


def test_console_shows_the_count_the_sites_and_the_flags() -> None:
    output = run_cli().stdout
    assert "3 queries cannot be checked for one reason" in output
    assert "--unscoped-helper taskWhere" in output


def test_the_cli_flag_and_the_config_file_key_declare_unscoped_helpers(tmp_path: Path) -> None:
    flagged = run_cli("--unscoped-helper", "taskWhere", "--format", "json")
    assert flagged.exit_code == 1, flagged.output
    assert [(r["file"], r["line"]) for r in json.loads(flagged.stdout)["findings"] if r["rule"] == "S001"] == [
        ("src/tasks/list.ts", 6), ("src/tasks/list.ts", 10), ("src/tasks/search.ts", 6)]
    config = tmp_path / "bhq-migrate.toml"
    config.write_text('[scan]\nunscoped-helpers = ["commentArgs"]\n')
    configured = run_cli("--config", str(config), "--format", "json")
    assert [(r["file"], r["line"]) for r in json.loads(configured.stdout)["findings"] if r["rule"] == "S001"] == [
        ("src/tasks/search.ts", 10)]
    both = run_cli("--scoping-helper", "scoped", "--unscoped-helper", "scoped")
    assert both.exit_code == 2 and len(both.stderr.strip().splitlines()) == 1
    assert "scoped" in both.stderr and "Traceback" not in both.output


def test_the_environment_declares_unscoped_helpers_too(monkeypatch: pytest.MonkeyPatch) -> None:
    from bhq_migrate.scan.config import resolve_config

    monkeypatch.setenv("BHQ_MIGRATE_SCAN_UNSCOPED_HELPERS", '["commentArgs"]')
    config = resolve_config([ROOT])
    assert config.unscoped_helpers == ("commentArgs",)
    result = scan([ROOT], config.with_overrides(jobs=1))
    assert ("src/tasks/search.ts", 10, "S001") in where(result)


def test_a_cause_shared_by_many_files_is_one_finding_in_parallel_scans_too(tmp_path: Path) -> None:
    from tests.scan.helpers import project

    source = ('import { invoiceWhere } from "@acme/where";\n'
              "export const f = (t: number) => prisma.invoice.findMany({ where: invoiceWhere(t) });\n")
    project(tmp_path, {f"src/f{i:02}.ts": source for i in range(70)})
    serial = scan([tmp_path], ScanConfig(jobs=1)).findings
    parallel = scan([tmp_path], ScanConfig(jobs=2)).findings
    assert parallel == serial
    assert [(Path(f.file).name, f.line, f.rule, len(f.sites)) for f in serial] == [("f00.ts", 2, "S007", 70)]
    assert "70 queries cannot be checked for one reason, helper invoiceWhere" in serial[0].message
    assert serial[0].message.count(".ts:2") == 10 and "and 60 more" in serial[0].message


def test_a_default_scoping_helper_declared_unscoped_stops_scoping(tmp_path: Path) -> None:
    from tests.scan.helpers import scan_one

    source = "prisma.invoice.findMany({ where: activeOnly({ tenantId: 1 }) });\n"
    assert scan_one(tmp_path, source).findings == []
    declared = scan_one(tmp_path, source, config=ScanConfig(jobs=1, unscoped_helpers=("activeOnly",)))
    assert [(f.line, f.rule, f.severity.value) for f in declared.findings] == [
        (1, "S001", "error"), (1, "S007", "info")]  # the tenant check no longer looks into activeOnly's argument
