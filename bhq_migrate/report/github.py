"""GitHub Actions output from a SARIF report: ``::error file=...,line=...::`` annotations (shown on the pull
request's diff) and a Markdown job summary (``$GITHUB_STEP_SUMMARY``).

Run by the composite action's script (``scripts/github-action.sh``) as
``python -m bhq_migrate.report.github SARIF COMMAND EXIT_CODE``: it prints the annotations on stdout and appends
the summary to ``$GITHUB_STEP_SUMMARY`` when that variable is set.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from bhq_migrate.report.sarif import SRCROOT

_COMMAND = {"error": "error", "warning": "warning", "note": "notice", "none": "notice"}
SUMMARY_ROWS = 50
PIPE = "\\|"  # a literal | inside a Markdown table cell


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _where(result: dict[str, Any]) -> tuple[str | None, int | None, str | None]:
    """(repository-relative file, line, logical name) of a result's first location."""
    locations = result.get("locations") or [{}]
    location = locations[0]
    physical = location.get("physicalLocation", {})
    artifact = physical.get("artifactLocation", {})
    file = artifact.get("uri") if artifact.get("uriBaseId") == SRCROOT else None
    line = physical.get("region", {}).get("startLine") if file else None
    logical = (location.get("logicalLocations") or [{}])[0].get("fullyQualifiedName")
    return file, line, logical


def workflow_commands(sarif: dict[str, Any]) -> list[str]:
    """One workflow command per result: with ``file``/``line`` when the result is in the repository, else titled
    with its rule and logical location (a database finding)."""
    lines = []
    for run in sarif.get("runs", []):
        for result in run.get("results", []):
            file, line, logical = _where(result)
            level = _COMMAND.get(result.get("level", "warning"), "warning")
            rule = result.get("ruleId", "bhq-migrate")
            title = f"{rule} {logical}" if logical and not file else rule
            properties = [f"title={_escape_property(title)}"]
            if file:
                properties[:0] = [f"file={_escape_property(file)}", f"line={line or 1}"]
            message = result.get("message", {}).get("text", "")
            lines.append(f"::{level} {','.join(properties)}::{_escape_data(message)}")
    return lines


def summary(sarif: dict[str, Any], command: str, exit_code: int) -> str:
    """Markdown for the job summary: the verdict, counts per level, and the first results as a table."""
    results = [result for run in sarif.get("runs", []) for result in run.get("results", [])]
    verdict = "passed" if exit_code == 0 else "FAILED"
    counts = {level: sum(1 for r in results if r.get("level") == level) for level in ("error", "warning", "note")}
    out = [f"## bhq-migrate {command}: {verdict} (exit code {exit_code})", "",
           f"{counts['error']} error(s), {counts['warning']} warning(s), {counts['note']} note(s)", ""]
    if results:
        out += ["| level | rule | where | message |", "|---|---|---|---|"]
        for result in results[:SUMMARY_ROWS]:
            file, line, logical = _where(result)
            where = f"`{file}:{line}`" if file else (f"`{logical}`" if logical else "")
            text = result.get("message", {}).get("text", "")
            message = (text.splitlines() or [""])[0].replace("|", PIPE)
            out.append(f"| {result.get('level', '')} | {result.get('ruleId', '')} | {where} | {message} |")
        if len(results) > SUMMARY_ROWS:
            out.append(f"\n... and {len(results) - SUMMARY_ROWS} more in the SARIF report.")
    return "\n".join(out) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: python -m bhq_migrate.report.github SARIF COMMAND EXIT_CODE", file=sys.stderr)
        return 2
    sarif_path, command, code = argv
    sarif = json.loads(Path(sarif_path).read_text(encoding="utf-8"))
    for line in workflow_commands(sarif):
        print(line)
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if target:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(summary(sarif, command, int(code)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
