"""Machine-readable verify output: JSON, and SARIF through the shared :func:`~bhq_migrate.report.sarif.to_sarif`.

SARIF wants a file and line for each result. A declared expectation points at its checks file and the
line that declares it; an audit finding points at the newest checks file in play (line 1), except V007,
which points at the plan file that no longer matches history.
"""

from __future__ import annotations

import json
from typing import Any

from bhq_migrate.findings import Finding, Rule, Severity
from bhq_migrate.report.sarif import to_sarif
from bhq_migrate.verify.checks import TITLES
from bhq_migrate.verify.results import Status, VerifyReport


def to_json(report: VerifyReport) -> str:
    payload: dict[str, Any] = report.model_dump(mode="json")
    payload["counts"] = report.counts.model_dump()
    payload["ok"] = report.ok
    return json.dumps(payload, indent=2)


def check_rules() -> list[Rule]:
    """The declared-expectation kinds as SARIF rules (the audit rules carry their own :class:`Rule`)."""
    return [
        Rule(
            id=kind,
            name=kind,
            title=title,
            severity=Severity.ERROR,
            rationale="A plan's checks file declares this; the live database does not match it.",
            fix="Apply the plan (bhq-migrate apply), or run the fix SQL shown, after review.",
        )
        for kind, title in TITLES.items()
    ]


def to_findings(report: VerifyReport) -> list[Finding]:
    fallback = next((r.source for r in reversed(report.results) if r.source and r.plan), "checks")
    findings: list[Finding] = []
    for result in report.results:
        if result.status not in (Status.FAIL, Status.WARN):
            continue
        severity = Severity.ERROR if result.failed(report.strict) else Severity.WARNING
        file = result.source or fallback
        help_lines = [f"expected: {result.expected}" if result.expected is not None else "",
                      f"found: {result.found}" if result.found is not None else "",
                      f"fix:\n{result.fix_sql}" if result.fix_sql else ""]
        findings.append(
            Finding(
                file=file,
                line=result.line,
                column=1,
                rule=result.rule_id or result.kind,
                severity=severity,
                message=result.message,
                help="\n".join(line for line in help_lines if line),
            )
        )
    return findings


def to_verify_sarif(report: VerifyReport) -> dict[str, Any]:
    return to_sarif(to_findings(report), [*report.rules, *check_rules()])
