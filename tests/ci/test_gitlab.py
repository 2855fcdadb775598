"""``--format gitlab``: GitLab Code Quality issues for lint and scan-queries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bhq_migrate.cli import full_app
from tests.helpers import source_tree

app = full_app()
runner = CliRunner()
KEYS = {"description", "check_name", "fingerprint", "severity", "location"}


@pytest.fixture
def cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def issues(*args: str) -> list[dict[str, object]]:
    result = runner.invoke(app, [*args, "--format", "gitlab"])
    assert result.exit_code in (0, 1), result.output
    rows = json.loads(result.stdout)
    assert isinstance(rows, list) and rows
    for row in rows:
        assert set(row) == KEYS
        assert row["severity"] in {"info", "minor", "major", "critical", "blocker"}
    return rows


def test_lint_issues_have_relative_paths_and_stable_fingerprints(cwd: Path) -> None:
    plan = cwd / "sql" / "001.sql"
    plan.parent.mkdir()
    plan.write_text("ALTER TABLE t ALTER COLUMN c TYPE bigint;\nBEGIN;\n")
    before = issues("lint", str(plan))
    assert {(r["check_name"], r["severity"]) for r in before} >= {("L001", "major"), ("L002", "minor")}
    assert {r["location"]["path"] for r in before} == {"sql/001.sql"}  # type: ignore[index]
    plan.write_text("-- moved down\n\n" + plan.read_text())
    after = issues("lint", str(plan))
    assert [r["fingerprint"] for r in after] == [r["fingerprint"] for r in before]
    assert [r["location"]["lines"]["begin"] for r in after] == [  # type: ignore[index]
        r["location"]["lines"]["begin"] + 2 for r in before]  # type: ignore[index]


def test_scan_queries_issues(cwd: Path) -> None:
    source_tree(cwd, "prisma.invoice.findMany({ where: { tenantId: 1 } });\n")
    rows = issues("scan-queries", "src")
    assert [(r["check_name"], r["severity"], r["location"]) for r in rows] == [
        ("S001", "major", {"path": "src/a.ts", "lines": {"begin": 1}})]
