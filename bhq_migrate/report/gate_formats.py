"""The machine-readable reports of the gate (:mod:`bhq_migrate.gate`): one JSON object, one SARIF run and one
JUnit document over both halves.

Scan findings keep their own rule ids (``S001``...) next to verify's (``col_type_is``, ``V001``...), so a
code-scanning UI lists them as separate rules of one tool.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bhq_migrate.gate.engine import GateReport
from bhq_migrate.report.envelope import dumps, envelope
from bhq_migrate.report.junit import verify_suites
from bhq_migrate.report.junit_findings import findings_suite, junit_document
from bhq_migrate.report.sarif import to_sarif
from bhq_migrate.report.verify_formats import check_rules, fingerprint, reported, to_findings, verify_payload
from bhq_migrate.scan import RULES as SCAN_RULES
from bhq_migrate.scan.output import finding_rows


def gate_payload(report: GateReport) -> dict[str, Any]:
    """``verify``'s payload plus ``code``: the scanned sources, their findings and the scan's counters."""
    payload = verify_payload(report.schema)
    payload.pop("ok")
    result = report.code
    payload["code"] = {
        "sources": list(report.sources),
        "fail_on": report.fail_on.value,
        "ok": report.code_ok,
        "findings": finding_rows(result.findings),
        "files_found": result.files_found,
        "files_parsed": result.files_parsed,
        "suppressed": result.suppressed,
        "baselined": result.baselined,
        "schemas": list(result.schemas),
    }
    return payload


def to_gate_json(report: GateReport) -> str:
    return dumps(envelope("verify", report.ok, report.summary(), **gate_payload(report)))


def to_gate_sarif(report: GateReport, root: Path | None = None,
                  bases: Mapping[str, Path] | None = None) -> dict[str, Any]:
    schema_results = reported(report.schema)
    code = report.code.findings
    return to_sarif(
        [*to_findings(report.schema), *code],
        [*report.schema.rules, *check_rules(), *SCAN_RULES],
        root=root,
        bases=bases,
        fingerprints=[*(fingerprint(r) for r in schema_results), *(f.fingerprint or None for f in code)],
        logical_locations=[*(r.object if r.object != "(database)" else None for r in schema_results),
                           *(None for _ in code)],
    )


def to_gate_junit(report: GateReport) -> str:
    suites = [*verify_suites(report.schema), findings_suite("code", report.code.findings, report.fail_on)]
    return junit_document("bhq-migrate verify", suites, report.schema.elapsed_ms / 1000 + report.code.seconds)
