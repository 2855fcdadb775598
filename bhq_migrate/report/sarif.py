"""SARIF 2.1.0 for code-scanning UIs (GitHub, GitLab, VS Code's SARIF viewer)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from bhq_migrate import __version__
from bhq_migrate.findings import Finding, Rule, Severity

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def to_sarif(findings: Iterable[Finding], rules: Sequence[Rule], *, tool: str = "bhq-migrate") -> dict[str, Any]:
    """One run; ``ruleId`` is the rule's id, and every rule used is described in ``tool.driver.rules``."""
    findings = list(findings)
    by_reference: dict[str, Rule] = {}
    for rule in rules:
        by_reference[rule.id] = rule
        by_reference[rule.name] = rule
    used_ids = sorted({by_reference[f.rule].id if f.rule in by_reference else f.rule for f in findings})
    descriptors: list[dict[str, Any]] = []
    index_of: dict[str, int] = {}
    for rule_id in used_ids:
        described = by_reference.get(rule_id)
        index_of[rule_id] = len(descriptors)
        descriptor: dict[str, Any] = {"id": rule_id}
        if described is not None:
            descriptor.update(
                name=described.name,
                shortDescription={"text": described.title},
                fullDescription={"text": described.rationale},
                help={"text": described.fix},
                defaultConfiguration={"level": _LEVEL[described.severity]},
            )
        descriptors.append(descriptor)
    results = []
    for finding in findings:
        rule_id = by_reference[finding.rule].id if finding.rule in by_reference else finding.rule
        message = finding.message + (f"\n{finding.help}" if finding.help else "")
        results.append(
            {
                "ruleId": rule_id,
                "ruleIndex": index_of[rule_id],
                "level": _LEVEL[finding.severity],
                "message": {"text": message},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": finding.file.replace("\\", "/")},
                            "region": {"startLine": max(finding.line, 1), "startColumn": max(finding.column, 1)},
                        }
                    }
                ],
            }
        )
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": tool,
                        "version": __version__,
                        "informationUri": "https://github.com/breederhq/bhq-migrate",
                        "rules": descriptors,
                    }
                },
                "results": results,
            }
        ],
    }
