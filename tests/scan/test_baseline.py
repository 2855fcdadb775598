"""Baselines: CI fails only on new findings; fingerprints survive code moving up or down."""

from __future__ import annotations

from pathlib import Path

from bhq_migrate.scan import ScanConfig, scan
from bhq_migrate.scan.baseline import read_baseline, write_baseline
from tests.scan.helpers import project

OLD = "async function f() {\n  return prisma.invoice.findMany({ where: { tenantId: 1 } });\n}\n"
NEW = "async function g() {\n  return prisma.invoice.count({ where: { tenantId: 2 } });\n}\n"


def _record(tmp_path: Path) -> set[str]:
    project(tmp_path, {"src/a.ts": OLD})
    baseline = tmp_path / "baseline.json"
    write_baseline(baseline, scan([tmp_path], ScanConfig(jobs=1)).findings)
    return read_baseline(baseline)


def test_baselined_findings_are_not_reported(tmp_path: Path) -> None:
    known = _record(tmp_path)
    result = scan([tmp_path], ScanConfig(jobs=1), known)
    assert (result.findings, result.baselined) == ([], 1)


def test_fingerprint_survives_code_moving_down(tmp_path: Path) -> None:
    known = _record(tmp_path)
    (tmp_path / "src" / "a.ts").write_text("// a new header\n\n\n" + NEW + OLD)
    result = scan([tmp_path], ScanConfig(jobs=1), known)
    assert [(f.line, f.method) for f in result.findings] == [(5, "count")]


def test_a_second_identical_finding_is_new(tmp_path: Path) -> None:
    known = _record(tmp_path)
    (tmp_path / "src" / "a.ts").write_text(OLD + OLD.replace("f()", "h()"))
    result = scan([tmp_path], ScanConfig(jobs=1), known)
    assert len(result.findings) == 1
