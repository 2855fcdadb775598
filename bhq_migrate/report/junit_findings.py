"""JUnit XML for findings (lint, scan-queries, the gate's code half), and the ``<testsuites>`` document every
JUnit report shares. Kept apart from verify's suites so lint and scan-queries don't import verify."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from bhq_migrate.findings import Finding, Severity


def findings_suite(name: str, findings: Sequence[Finding], threshold: Severity) -> ET.Element:
    """One test case per finding (a failure when at least ``threshold`` severe), or one passing test case
    named after the suite when there is none: an empty suite would read as "nothing ran"."""
    suite = ET.Element("testsuite", name=name)
    failures = 0
    for finding in findings:
        case = ET.SubElement(suite, "testcase", classname=name.replace(" ", "_"),
                             name=f"{finding.rule} {finding.location()}", file=finding.file, line=str(finding.line))
        text = finding.message + (f"\n{finding.help}" if finding.help else "")
        if finding.severity.at_least(threshold):
            failures += 1
            ET.SubElement(case, "failure", message=finding.message, type=finding.rule).text = text
        else:
            ET.SubElement(case, "system-out").text = f"{finding.severity.value}: {text}"
    if not findings:
        ET.SubElement(suite, "testcase", classname=name.replace(" ", "_"), name=f"{name}: no findings")
    suite.set("tests", str(max(len(findings), 1)))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", "0")
    return suite


def junit_document(name: str, suites: Sequence[ET.Element], seconds: float) -> str:
    """``<testsuites>`` with the totals of ``suites``."""
    root = ET.Element("testsuites", name=name)
    for key in ("tests", "failures", "skipped"):
        root.set(key, str(sum(int(suite.get(key, "0")) for suite in suites)))
    root.set("errors", "0")
    root.set("time", f"{seconds:.3f}")
    root.extend(suites)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def findings_junit_xml(command: str, findings: Sequence[Finding], threshold: Severity, seconds: float = 0.0) -> str:
    """JUnit for ``lint`` and ``scan-queries``."""
    return junit_document(f"bhq-migrate {command}", [findings_suite(command, findings, threshold)], seconds)
