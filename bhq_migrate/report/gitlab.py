"""GitLab Code Quality report (``--format gitlab``): a JSON array of issues for merge-request widgets.

Each issue has ``description``, ``check_name`` (the rule id), ``fingerprint`` (the same line-independent
fingerprint SARIF carries, so an issue keeps its identity when code moves), ``severity`` and ``location`` with a
path relative to the working directory (the repository root in CI) and the line.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bhq_migrate.findings import Finding, Severity
from bhq_migrate.report.sarif import content_fingerprints

_SEVERITY = {Severity.ERROR: "major", Severity.WARNING: "minor", Severity.INFO: "info"}


def _relative(file: str, root: Path) -> str:
    path = Path(file)
    if path.is_absolute():
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            return path.as_posix()
    return path.as_posix()


def to_gitlab(findings: Sequence[Finding], root: Path | None = None,
              fingerprints: Sequence[str | None] | None = None) -> list[dict[str, Any]]:
    root = root or Path.cwd()
    computed = content_fingerprints(findings, root)
    given = list(fingerprints) if fingerprints is not None else [None] * len(findings)
    return [
        {
            "description": f"{finding.rule}: {finding.message}",
            "check_name": finding.rule,
            "fingerprint": own or content,
            "severity": _SEVERITY[finding.severity],
            "location": {"path": _relative(finding.file, root), "lines": {"begin": max(finding.line, 1)}},
        }
        for finding, own, content in zip(findings, given, computed, strict=True)
    ]
