"""Every rule against its fixture file: each line marked ``// expect: <rule>`` is reported with exactly
those rules, and no other line is reported (the unmarked lines are the passing cases)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bhq_migrate.findings import Severity
from bhq_migrate.scan import RULES, ScanConfig, scan
from bhq_migrate.scan.rules import rule_for
from tests.scan.helpers import APP, expected_markers, scan_one

FIXTURE_FILES = sorted((APP / "src").glob("*.ts"))
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def app_findings() -> dict[str, set[tuple[int, str]]]:
    result = scan([APP], ScanConfig(jobs=1))
    by_file: dict[str, set[tuple[int, str]]] = {}
    for finding in result.findings:
        if finding.rule != "S009":  # suppression problems sit on comment lines; see test_suppressions
            by_file.setdefault(Path(finding.file).name, set()).add((finding.line, finding.rule))
    return by_file


@pytest.mark.parametrize("fixture", FIXTURE_FILES, ids=lambda p: p.name)
def test_fixture_findings_match_the_expect_markers(fixture: Path, app_findings: dict) -> None:
    assert app_findings.get(fixture.name, set()) == expected_markers(fixture)


def test_fixtures_cover_every_finding_rule_with_a_failing_case() -> None:
    marked = set().union(*(
        {rule for _line, rule in expected_markers(path)} for path in FIXTURE_FILES
    ))
    assert {"S001", "S002", "S003", "S004", "S005", "S006", "S007", "S012", "S013"} <= marked


def test_rule_ids_and_names_are_unique_and_stable() -> None:
    assert [r.id for r in RULES] == [f"S{n:03d}" for n in range(1, 14)]
    assert len({r.name for r in RULES}) == len(RULES)


def test_default_severities_follow_the_issue() -> None:
    severity = {r.name: r.severity for r in RULES}
    assert severity["unscoped-read"] is Severity.ERROR
    assert severity["hard-delete"] is Severity.ERROR
    assert severity["tenant-unscoped"] is Severity.WARNING
    assert severity["raw-sql-unparsed"] is Severity.INFO


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_every_rule_has_a_module_named_after_its_id_with_problem_and_solution(rule) -> None:
    modules = list((ROOT / "bhq_migrate" / "scan" / "rules").glob(f"{rule.id.lower()}_*.py"))
    assert len(modules) == 1
    assert modules[0].stem == f"{rule.id.lower()}_{rule.name.replace('-', '_')}"
    doc = modules[0].read_text()
    assert "Problem:" in doc and "Solution:" in doc
    assert rule.title and rule.rationale and rule.fix


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_every_rule_is_documented_in_the_readme_section(rule) -> None:
    docs = (ROOT / "docs" / "scan-queries.md").read_text()
    assert re.search(rf"\|\s*{rule.id}\s*\|\s*`{rule.name}`", docs)


def test_rules_are_found_by_id_or_name_case_insensitively() -> None:
    assert rule_for("s001") is rule_for("Unscoped-Read") is RULES[0]
    assert rule_for("nope") is None


def test_an_or_with_a_deliberate_deleted_branch_is_worded_as_such(tmp_path: Path) -> None:
    source = ("prisma.invoice.findMany({ where: { tenantId: 1, OR: [{ deletedAt: { not: null } }, "
              "{ id: 3 }] } });\n")
    result = scan_one(tmp_path, source)
    assert [(f.line, f.rule) for f in result.findings] == [(1, "S001")]
    assert "on purpose" in result.findings[0].message


def test_the_readme_tenant_extension_is_the_fixture_the_rules_are_tested_on() -> None:
    readme = (ROOT / "README.md").read_text()
    start = readme.index("export function forTenant(")
    snippet = readme[start:readme.index("\n}\n", start) + 2]
    fixture = (APP / "src" / "tenant_extension.ts").read_text()
    assert snippet in fixture
