"""The scan's findings as plain rows (the ``findings`` of ``scan-queries --format json`` and of the gate)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bhq_migrate.scan.model import ScanFinding
from bhq_migrate.scan.rules import RULES

_NAMES = {rule.id: rule.name for rule in RULES}


def finding_rows(findings: Iterable[ScanFinding]) -> list[dict[str, Any]]:
    """One row per finding; ``cause`` and ``sites`` are set on a "needs review" that stands for every query
    depending on one helper or parameter (:mod:`bhq_migrate.scan.causes`), else ``null`` and ``[]``."""
    return [
        {"file": f.file, "line": f.line, "column": f.column, "rule": f.rule, "name": _NAMES.get(f.rule, ""),
         "severity": f.severity.value, "model": f.model, "method": f.method, "message": f.message,
         "help": f.help, "fingerprint": f.fingerprint, "cause": _cause(f),
         "sites": [site.model_dump() for site in f.sites]}
        for f in findings
    ]


def _cause(finding: ScanFinding) -> dict[str, Any] | None:
    cause = finding.cause
    if cause is None:
        return None
    return {"kind": cause.kind, "name": cause.name, "origin": cause.origin, "count": len(finding.sites),
            "settle": cause.settle}
