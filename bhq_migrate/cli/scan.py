"""`bhq-migrate scan-queries`: find Prisma queries that ignore soft deletes or tenants."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from bhq_migrate.cli.app import app, fail, guarded, output_file, stderr, stdout
from bhq_migrate.cli.output import emit_json_error, json_output, print_json_array, write_report_file
from bhq_migrate.exitcodes import ExitCode
from bhq_migrate.findings import Severity
from bhq_migrate.report.envelope import dumps, envelope, severity_counts
from bhq_migrate.report.gitlab import to_gitlab
from bhq_migrate.report.junit_findings import findings_junit_xml
from bhq_migrate.report.sarif import artifact_location, to_sarif
from bhq_migrate.scan import RULES, ScanConfig, ScanResult, scan
from bhq_migrate.scan.baseline import read_baseline, write_baseline
from bhq_migrate.scan.config import resolve_config
from bhq_migrate.scan.model import ScanFinding
from bhq_migrate.scan.output import finding_rows


class OutputFormat(str, Enum):
    console = "console"
    json = "json"
    sarif = "sarif"
    gitlab = "gitlab"


_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
_NAMES = {rule.id: rule.name for rule in RULES}


def _config(
    paths: list[Path], config_file: Path | None, schema: list[Path], soft_delete_field: list[str],
    tenant_field: list[str], client: list[str], scoping_helper: list[str], exclude: list[str],
    fail_on: Severity | None, jobs: int | None, disable: list[str], allow_default_models: bool,
    exclude_tests: bool, unscoped_helper: list[str],
) -> ScanConfig:
    config = resolve_config(paths, config_file)
    return config.with_overrides(
        schemas=tuple(schema),
        soft_delete_fields=tuple(soft_delete_field),
        tenant_fields=tuple(tenant_field),
        clients=tuple(dict.fromkeys([*config.clients, *client])) if client else None,
        scoping_helpers=tuple(dict.fromkeys([*config.scoping_helpers, *scoping_helper])) if scoping_helper else None,
        unscoped_helpers=tuple(dict.fromkeys([*config.unscoped_helpers, *unscoped_helper])) if unscoped_helper
        else None,
        exclude=tuple([*config.exclude, *exclude]) if exclude else None,
        fail_on=fail_on,
        jobs=jobs,
        disable=tuple([*config.disable, *disable]) if disable else None,
        allow_default_models=allow_default_models or None,
        exclude_tests=exclude_tests or None,
    )


def summary(result: ScanResult) -> dict[str, object]:
    """The run's figures, for the JSON output: what was read, checked and skipped, and why."""
    return {
        "files": result.files_found, "parsed": result.files_parsed, "checked_call_sites": result.checked,
        "suppressed": result.suppressed, "baselined": result.baselined, "skipped": result.skipped,
        "unreadable": result.unreadable, "schemas": result.schemas, "default_models": result.default_models,
        "in_test_code": result.in_test_code,
        "counts": result.counts(), "seconds": round(result.seconds, 3),
    }


def print_scan_console(result: ScanResult) -> None:
    """Findings grouped by file with the flagged line, then the counters (also the gate's code section)."""
    sources: dict[str, list[str]] = {}
    current = None
    width = max((len(f"{f.line}:{f.column}") for f in result.findings), default=0)
    for finding in result.findings:
        if finding.file != current:
            current = finding.file
            stdout.print(f"\n[bold underline]{escape(printable(finding.file))}[/]")
        style = _STYLE[finding.severity]
        location = f"{finding.line}:{finding.column}"
        stdout.print(
            f"  {location:<{width}}  [{style}]{finding.severity.value:<7}[/] "
            f"[bold]{finding.rule}[/] [dim]{_NAMES.get(finding.rule, '')}[/]  {escape(printable(finding.message))}"
        )
        lines = sources.get(finding.file)
        if lines is None:
            try:
                lines = Path(finding.file).read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                lines = []
            sources[finding.file] = lines
        if 0 < finding.line <= len(lines):
            code = escape(printable(lines[finding.line - 1].strip()[:160]))
            stdout.print(f"  {'':<{width}}  [dim]{finding.line:>5} |[/] {code}")
    counts = result.counts()
    stdout.print(
        f"\n{len(result.findings)} finding(s): {counts['error']} error, {counts['warning']} warning, "
        f"{counts['info']} info; {result.files_found} files, {result.files_parsed} parsed, "
        f"{result.suppressed} suppressed, {result.baselined} in baseline; {result.checked} call site(s) "
        f"checked; {result.in_test_code} finding(s) in test code; {result.seconds:.2f}s"
    )
    if result.skipped:
        reasons = ", ".join(f"{count} {reason}" for reason, count in result.skipped.items())
        stdout.print(f"[dim]skipped: {escape(reasons)}[/]")
    stdout.print(f"[dim]models from: {escape(', '.join(_relative(s) for s in result.schemas))}[/]")


def printable(line: str) -> str:
    """The source line as it can be shown: control characters (an escape sequence in a string literal, a
    bidi override) are written as escapes, never sent to the terminal."""
    return "".join(char if char.isprintable() or char == " " else repr(char)[1:-1].replace("'", "")
                   for char in line)


def _relative(path: str) -> str:
    try:
        return Path(path).relative_to(Path.cwd()).as_posix()
    except ValueError:
        return path


@app.command("scan-queries")
def scan_queries(
    paths: list[Path] = typer.Argument(None, help="Files or folders to scan (default: the current folder)."),
    schema: list[Path] = typer.Option([], "--schema", help="schema.prisma to read models from (repeatable; "
                                      "default: every schema.prisma found under the paths)."),
    soft_delete_field: list[str] = typer.Option([], "--soft-delete-field", help="Field that marks a "
                                                "soft-deletable model (repeatable; default deletedAt)."),
    tenant_field: list[str] = typer.Option([], "--tenant-field", help="Field that marks a tenant-owned model "
                                           "(repeatable; default tenantId)."),
    client: list[str] = typer.Option([], "--client", help="Extra Prisma client name or member chain, e.g. "
                                     "'this.repo.prisma' (repeatable)."),
    scoping_helper: list[str] = typer.Option([], "--scoping-helper", help="Extra helper that adds the "
                                             "soft-delete filter, like activeOnly (repeatable)."),
    unscoped_helper: list[str] = typer.Option([], "--unscoped-helper", help="Helper (or imported value) that "
                                              "does NOT add the soft-delete filter: queries whose where it builds "
                                              "become unscoped reads instead of 'needs review' (repeatable)."),
    exclude: list[str] = typer.Option([], "--exclude", help="Glob of paths to skip (repeatable)."),
    disable: list[str] = typer.Option([], "--disable", help="Rule id or name not to report (repeatable)."),
    output_format: OutputFormat = typer.Option(OutputFormat.console, "--format", "-f",
                                               help="console, json, sarif or gitlab (Code Quality)."),
    fail_on: Severity = typer.Option(None, "--fail-on", help="Exit 1 when a finding is at least this severe "
                                     "(default: error)."),
    baseline: Path = typer.Option(None, "--baseline", help="Known findings to ignore; written with the "
                                  "current findings when the file does not exist yet (its folder must exist).",
                                  callback=output_file),
    update_baseline: bool = typer.Option(False, "--update-baseline", help="Rewrite --baseline with the "
                                         "current findings."),
    config_file: Path = typer.Option(None, "--config", help="bhq-migrate.toml or pyproject.toml to read "
                                     "(default: the nearest one above the first path)."),
    jobs: int = typer.Option(None, "--jobs", min=1, help="Worker processes (default: every core)."),
    exclude_tests: bool = typer.Option(False, "--exclude-tests", help="Skip test, spec, e2e, __tests__, seed and "
                                       "fixture paths."),
    allow_default_models: bool = typer.Option(False, "--allow-default-models", help="Accept a scan that found "
                                              "no schema (the seed plan's models are assumed) or no query on "
                                              "a soft-deletable model; without it that exits 2."),
    junit_xml: Path = typer.Option(None, "--junit-xml", metavar="PATH", callback=output_file,
                                   help="Also write a JUnit XML report here "
                                   "(one test case per finding)."),
) -> None:
    """Find Prisma queries that return soft-deleted rows, hard-delete, or skip the tenant filter.

    Exit codes: 0 nothing at or above --fail-on, 1 findings (or some paths could not be read), 2 could not
    run: no schema found, nothing checked, nothing readable.
    """
    json_output("scan-queries", output_format is OutputFormat.json)
    targets = list(paths or [Path(".")])

    def run() -> tuple[ScanResult, ScanConfig, str]:
        config = _config(targets, config_file, schema, soft_delete_field, tenant_field, client, scoping_helper,
                         exclude, fail_on, jobs, disable, allow_default_models, exclude_tests, unscoped_helper)
        note = ""
        if baseline is not None and baseline.exists() and not update_baseline:
            return scan(targets, config, read_baseline(baseline)), config, note
        result = scan(targets, config)
        if baseline is not None:
            count = write_baseline(baseline, result.findings)
            note = f"baseline {baseline} written with {count} finding(s)"
            result.baselined, result.findings = len(result.findings), []
        return result, config, note

    result, config, note = guarded(run)
    problems = result.problems()
    if problems and (result.nothing_read() or not config.allow_default_models):
        # Nothing (or not enough) was checked: never a pass. The findings there are still shown, with the error.
        if output_format is OutputFormat.json:
            emit_json_error("NothingChecked", "; ".join(problems), findings=finding_rows(result.findings),
                            run=summary(result))
            json_output("scan-queries", False)  # the envelope is out; fail() adds only the stderr line
        elif output_format is OutputFormat.console:
            print_scan_console(result)
        _warn_unreadable(result)
        fail("; ".join(problems))
    if junit_xml is not None:
        write_report_file(junit_xml, findings_junit_xml("scan-queries", result.findings, config.fail_on,
                                                        result.seconds))
    if output_format is OutputFormat.json:
        counts = {**severity_counts(result.findings), "files": result.files_found, "fail_on": config.fail_on.value}
        body = envelope("scan-queries", not result.failed(config.fail_on), counts,
                        findings=finding_rows(result.findings), files_found=result.files_found,
                        files_parsed=result.files_parsed, suppressed=result.suppressed, baselined=result.baselined,
                        schemas=list(result.schemas), run=summary(result))
        typer.echo(dumps(body))
    elif output_format is OutputFormat.sarif:
        # code-scanning UIs match alerts across runs by partialFingerprints: use the line-independent one
        sarif = to_sarif(result.findings, RULES, tool="bhq-migrate scan-queries",
                         fingerprints=[finding.fingerprint or None for finding in result.findings])
        add_related_sites(sarif, result.findings)
        typer.echo(json.dumps(sarif, indent=2))
    elif output_format is OutputFormat.gitlab:
        print_json_array(to_gitlab(result.findings, fingerprints=[f.fingerprint or None for f in result.findings]))
    else:
        print_scan_console(result)
    if note:
        typer.echo(note, err=True)
    _warn_unreadable(result)
    failed = result.failed(config.fail_on) or bool(result.unreadable)
    raise typer.Exit(int(ExitCode.FAILED if failed else ExitCode.OK))


def add_related_sites(sarif: dict[str, Any], findings: list[ScanFinding]) -> None:
    """A "needs review" that stands for several call sites (one cause) lists them as SARIF related
    locations, so a code-scanning UI links every query the one decision settles."""
    results = sarif["runs"][0]["results"]
    for result, finding in zip(results, findings, strict=True):
        if len(finding.sites) < 2:
            continue
        result["relatedLocations"] = [
            {"id": number, "physicalLocation": {"artifactLocation": artifact_location(site.file, Path.cwd()),
                                                "region": {"startLine": site.line, "startColumn": site.column}},
             "message": {"text": f"{site.model}.{site.method}()" if site.model and site.method else "call site"}}
            for number, site in enumerate(finding.sites, start=1)
        ]


def _warn_unreadable(result: ScanResult) -> None:
    if result.unreadable:
        shown = ", ".join(result.unreadable[:5]) + (f" and {len(result.unreadable) - 5} more"
                                                    if len(result.unreadable) > 5 else "")
        stderr.print(f"[yellow]warning:[/] could not read {escape(shown)}", highlight=False)
