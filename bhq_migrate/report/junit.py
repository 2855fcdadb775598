"""JUnit XML for CI test reports: one ``<testsuite>`` per plan (and one for the audit rules, one for the
isolation probe), one ``<testcase>`` per check (probe: per table and command; lint and scan-queries: one per
finding). A failure carries expected/found/fix; a warning is a passing test with the warning in
``<system-out>`` (a failure under ``--strict``); a check skipped because its object is missing is
``<skipped>``."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict

from bhq_migrate.report.junit_findings import junit_document
from bhq_migrate.verify.results import CheckResult, Status, VerifyReport


def _body(result: CheckResult) -> str:
    lines = [result.message]
    if result.expected is not None:
        lines.append(f"expected: {result.expected}")
    if result.found is not None:
        lines.append(f"found:    {result.found}")
    if result.missing:
        lines.append(f"missing:  {', '.join(result.missing)}")
    if result.extra:
        lines.append(f"extra:    {', '.join(result.extra)}")
    if result.fix_sql:
        lines.append(f"fix:\n{result.fix_sql}")
    if result.source:
        lines.append(f"declared: {result.source}:{result.line} ({result.key_path})")
    return "\n".join(lines)


def _unplanned_suite(result: CheckResult) -> str:
    """Audit findings go to "audits", the isolation probe's results (``probe/...``) to "probe"."""
    return "probe" if result.id.startswith("probe/") else "audits"


def verify_suites(report: VerifyReport) -> list[ET.Element]:
    """One ``<testsuite>`` per plan, then one for the audit rules and one for the isolation probe."""
    suites: dict[str, list[CheckResult]] = defaultdict(list)
    for result in report.results:
        suites[f"plan {result.plan}" if result.plan else _unplanned_suite(result)].append(result)
    elements = []
    for suite_name in sorted(suites, key=lambda name: (name in ("audits", "probe"), name)):
        results = suites[suite_name]
        failures = sum(1 for r in results if r.failed(report.strict))
        skipped = sum(1 for r in results if r.status is Status.SKIP)
        suite = ET.Element("testsuite", name=suite_name, tests=str(len(results)), failures=str(failures),
                           errors="0", skipped=str(skipped))
        for result in results:
            classname = ".".join(part for part in (suite_name.replace(" ", "_"), result.table) if part)
            case = ET.SubElement(suite, "testcase", classname=classname, name=result.id)
            if result.source:
                case.set("file", result.source)
                case.set("line", str(result.line))
            if result.failed(report.strict):
                failure = ET.SubElement(case, "failure", message=result.message, type=result.rule_id or result.kind)
                failure.text = _body(result)
            elif result.status is Status.SKIP:
                ET.SubElement(case, "skipped", message=result.message)
            elif result.status is Status.WARN:
                ET.SubElement(case, "system-out").text = "warning: " + _body(result)
        elements.append(suite)
    return elements


def to_junit_xml(report: VerifyReport) -> str:
    return junit_document("bhq-migrate verify", verify_suites(report), report.elapsed_ms / 1000)
