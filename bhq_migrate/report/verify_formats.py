"""Machine-readable verify output: JSON, and SARIF through the shared :func:`~bhq_migrate.report.sarif.to_sarif`.

A declared expectation points at its checks file and the line that declares it; an audit finding is about
the database, so it carries a logical location (``schema.table.object``) and a file only when it has one
(V007: the plan file that no longer matches history). Every result's fingerprint is its check's stable id.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bhq_migrate.findings import Finding, Rule, Severity
from bhq_migrate.report.envelope import dumps, envelope
from bhq_migrate.report.sarif import to_sarif
from bhq_migrate.verify.checks import TITLES
from bhq_migrate.verify.results import CheckResult, Status, VerifyReport


def verify_bases(checks_dir: Path, plans_dir: Path) -> dict[str, Path]:
    """SARIF ``uriBaseId`` s for checks and plans files that live outside the repository (``--checks-dir``)."""
    return {"CHECKSROOT": checks_dir, "PLANSROOT": plans_dir}


def verify_payload(report: VerifyReport) -> dict[str, Any]:
    """The report's fields, its ``counts`` and ``ok``: the payload of ``verify --format json``."""
    payload: dict[str, Any] = report.model_dump(mode="json")
    payload["counts"] = report.counts.model_dump()
    payload["ok"] = report.ok
    return payload


def verify_summary(report: VerifyReport) -> dict[str, Any]:
    schema: dict[str, Any] = report.counts.model_dump()
    schema["ok"] = report.ok
    return {"schema": schema}


def to_json(report: VerifyReport) -> str:
    """``verify --format json``: the shared envelope around :func:`verify_payload`."""
    payload = verify_payload(report)
    ok = payload.pop("ok")
    return dumps(envelope("verify", ok, verify_summary(report), **payload))


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


def reported(report: VerifyReport) -> list[CheckResult]:
    """The results machine-readable formats list as findings: failures and warnings."""
    return [result for result in report.results if result.status in (Status.FAIL, Status.WARN)]


def fingerprint(result: CheckResult) -> str:
    """Stable across runs and commits: the check's id names the plan, the check kind and the object."""
    return hashlib.sha256(result.id.encode()).hexdigest()[:20]


def to_findings(report: VerifyReport) -> list[Finding]:
    findings: list[Finding] = []
    for result in reported(report):
        severity = Severity.ERROR if result.failed(report.strict) else Severity.WARNING
        help_lines = [f"expected: {result.expected}" if result.expected is not None else "",
                      f"found: {result.found}" if result.found is not None else "",
                      f"fix:\n{result.fix_sql}" if result.fix_sql else ""]
        findings.append(
            Finding(
                file=result.source or "",
                line=result.line,
                column=1,
                rule=result.rule_id or result.kind,
                severity=severity,
                message=result.message,
                help="\n".join(line for line in help_lines if line),
            )
        )
    return findings


def to_verify_sarif(report: VerifyReport, root: Path | None = None,
                    bases: Mapping[str, Path] | None = None) -> dict[str, Any]:
    """``bases``: uri bases for the checks and plans directories (see :func:`verify_bases`)."""
    results = reported(report)
    return to_sarif(to_findings(report), [*report.rules, *check_rules()], root=root, bases=bases,
                    fingerprints=[fingerprint(r) for r in results],
                    logical_locations=[r.object if r.object != "(database)" else None for r in results])
