"""`bhq-migrate lint` (any .sql files, no database) and `bhq-migrate plan` (pending plans vs. a database)."""

from __future__ import annotations

import json
import sys
from collections import Counter
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from bhq_migrate.cli.app import (
    DATABASE_URL_HELP,
    LockTimeout,
    StatementTimeout,
    app,
    fail,
    guarded,
    output_file,
    session_limits,
    stdout,
)
from bhq_migrate.cli.output import json_output, print_json, print_json_array, write_report_file
from bhq_migrate.exitcodes import ExitCode
from bhq_migrate.findings import Severity
from bhq_migrate.limits import DEFAULT_LOCK_TIMEOUT, DEFAULT_STATEMENT_TIMEOUT
from bhq_migrate.lint import RULES, LintFinding, LintOptions, lint_paths
from bhq_migrate.lint.context import Runner
from bhq_migrate.lint.folders import discover
from bhq_migrate.report.envelope import envelope
from bhq_migrate.report.gitlab import to_gitlab
from bhq_migrate.report.junit_findings import findings_junit_xml
from bhq_migrate.report.sarif import to_sarif
from bhq_migrate.resources import default_plans_dir
from bhq_migrate.units import human_size

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}

if TYPE_CHECKING:  # `plan` needs the runner's pre-flight, the catalog and psycopg; `lint` (without -d) none
    from bhq_migrate.migrate.plan_report import PendingPlan, PlanReport


class LintFormat(str, Enum):
    console = "console"
    json = "json"
    sarif = "sarif"
    gitlab = "gitlab"


class PlanFormat(str, Enum):
    console = "console"
    json = "json"
    html = "html"


def _out(renderable: object) -> None:
    """Print with markup but without emoji codes: ``file.sql:100:1`` must not become a 💯."""
    stdout.print(renderable, emoji=False)


def _out_line(markup: str, plain: str) -> None:
    """One finding line: through rich on a terminal (colours), as plain text otherwise. A folder of a
    thousand migrations prints thousands of lines, and rich's markup parsing of each cost more than the lint."""
    if stdout.quiet:  # --quiet: the plain path below bypasses rich, which would have dropped the line
        return
    if stdout.is_terminal:
        _out(markup)
    else:
        stdout.file.write(plain + "\n")


def _summary(findings: list[LintFinding]) -> dict[str, int]:
    counts = Counter(finding.severity.value for finding in findings)
    return {severity.value: counts.get(severity.value, 0) for severity in Severity}


def _print_finding(finding: LintFinding, indent: str = "") -> None:
    head = f"{indent}{finding.location()}: "
    if finding.suppressed is not None:
        tail = f"accepted {finding.rule} {finding.rule_name}: {finding.message} (suppressed: {finding.suppressed})"
        _out_line(f"{escape(head)}[dim]{escape(tail)}[/]", head + tail)
        return
    style = _STYLE[finding.severity]
    rule = f"{finding.rule} {finding.rule_name}: {finding.message}"
    _out_line(
        f"{escape(head)}[{style}]{finding.severity.value}[/] {escape(rule)}", f"{head}{finding.severity.value} {rule}"
    )


def _exit_code(findings: list[LintFinding]) -> ExitCode:
    return ExitCode.FAILED if any(f.severity is Severity.ERROR for f in findings) else ExitCode.OK


class RunnerChoice(str, Enum):
    auto = "auto"
    bhq = "bhq"
    prisma = "prisma"
    flyway = "flyway"


def _names(values: list[str]) -> tuple[str, ...]:
    """``--enable a,b --enable c`` -> ``("a", "b", "c")``."""
    return tuple(name.strip() for value in values for name in value.split(",") if name.strip())


def _print_rules(output_format: LintFormat) -> None:
    rules = [lint_rule.rule for lint_rule in RULES]
    if output_format is LintFormat.json:
        payload = [
            {"id": r.id, "name": r.name, "title": r.title, "severity": r.severity.value, "enabled": r.enabled}
            for r in rules
        ]
        print_json(envelope("lint", True, {"rules": len(payload)}, rules=payload))
        return
    for r in rules:
        state = "on " if r.enabled else "off"
        _out(f"{r.id}  {state}  {r.severity.value:<7}  {r.name:<38}  {escape(r.title)}")
    _out(f"{len(rules)} rules ({sum(not r.enabled for r in rules)} off by default; turn them on with --enable)")


@app.command()
def lint(
    paths: list[Path] | None = typer.Argument(
        None, help="SQL files or migration folders (Prisma, Flyway, sqitch or bhq-migrate layout)."
    ),
    output_format: LintFormat = typer.Option(LintFormat.console, "--format", "-f",
                                             help="console, json, sarif or gitlab (Code Quality)."),
    runner: RunnerChoice = typer.Option(
        RunnerChoice.auto,
        "--runner",
        help="Who runs the files, which decides their transactions (auto: from the folder's layout).",
    ),
    since: str | None = typer.Option(
        None, "--since", help="Report only files after this migration file, or changed since this git revision."
    ),
    one_run: bool = typer.Option(
        False,
        "--one-run",
        help="Lint the files as one run, as `apply` runs pending plans (objects they create are new).",
    ),
    enable: list[str] = typer.Option([], "--enable", help="Turn on rules (ids or names, comma-separated, or all)."),
    disable: list[str] = typer.Option([], "--disable", help="Turn off rules (ids or names, comma-separated)."),
    list_rules: bool = typer.Option(False, "--list-rules", help="List every rule, its severity and default state."),
    runner_sets_timeouts: bool = typer.Option(
        False,
        "--runner-sets-timeouts",
        help="The files run under `bhq-migrate apply`, which sets lock_timeout: skip missing-lock-timeout.",
    ),
    show_suppressed: bool = typer.Option(False, "--show-suppressed", help="Also list suppressed findings."),
    junit_xml: Path = typer.Option(None, "--junit-xml", metavar="PATH", callback=output_file,
                                   help="Also write a JUnit XML report here "
                                   "(one test case per finding; errors fail)."),
    database_url: str | None = typer.Option(
        None, "--database-url", "-d", help="Also read this live database as the history (its tables and column "
        "types); read-only. Only when given: lint never connects on its own."),
    lock_timeout: LockTimeout = DEFAULT_LOCK_TIMEOUT,
    statement_timeout: StatementTimeout = DEFAULT_STATEMENT_TIMEOUT,
) -> None:
    """Lint PostgreSQL migration files: syntax, locks, rewrites and design rules; no database needed.

    A folder is linted as a history, in the order its tool applies it: what earlier files created exists,
    with rows, when later files run. Exit codes: 0 no errors (warnings allowed), 1 errors found, 2 could not run.
    """
    json_output("lint", output_format is LintFormat.json)
    if list_rules:
        _print_rules(output_format)
        raise typer.Exit(int(ExitCode.OK))
    if not paths:
        fail("Missing argument 'PATHS...': give SQL files or migration folders to lint (or --list-rules)")
    folder = guarded(lambda: discover(paths))
    options = LintOptions(
        runner_sets_lock_timeout=runner_sets_timeouts,
        keep_suppressed=show_suppressed,
        runner=folder.runner if runner is RunnerChoice.auto else Runner(runner.value),
        history=not one_run,
        enable=_names(enable),
        disable=_names(disable),
    )
    catalog = None
    if database_url is not None:
        from bhq_migrate.connection import resolve_url
        from bhq_migrate.lint.engine import live_catalog

        url = guarded(lambda: resolve_url(database_url))
        limits = session_limits(lock_timeout, statement_timeout)
        catalog = guarded(lambda: live_catalog(url, limits), url)
    findings = guarded(lambda: lint_paths(folder.files, options, since=since, catalog=catalog))
    active = [finding for finding in findings if finding.suppressed is None]
    if junit_xml is not None:
        write_report_file(junit_xml, findings_junit_xml("lint", active, Severity.ERROR))
    if output_format is LintFormat.json:
        print_json(envelope("lint", _exit_code(active) is ExitCode.OK, _summary(active),
                            findings=[finding.model_dump(mode="json") for finding in findings]))
    elif output_format is LintFormat.sarif:
        stdout.print_json(json.dumps(to_sarif(active, [lint_rule.rule for lint_rule in RULES])))
    elif output_format is LintFormat.gitlab:
        print_json_array(to_gitlab(active))
    else:
        for finding in findings:
            _print_finding(finding)
        counts = _summary(active)
        _out(
            f"{counts['error']} error(s), {counts['warning']} warning(s), {counts['info']} info "
            f"in {len(folder.files)} file(s) ({folder.layout}, runner {options.runner.value})"
        )
    raise typer.Exit(int(_exit_code(active)))


def _print_forecast(plan: PendingPlan) -> None:
    """The lock-queue forecast: statements that would wait right now, and for whom."""
    from bhq_migrate.migrate.forecast import forecast_lines

    lines = [text for statement in plan.statements for text in forecast_lines(statement.line, statement.forecast)]
    _out("  lock queue now:" + ("" if lines else " no other session holds or waits for a lock on these tables"))
    for text in lines:
        _out(f"    {escape(text)}")


def _print_trace(plan: PendingPlan) -> None:
    """``--trace``: what PostgreSQL did with each statement on the scratch copy."""
    from bhq_migrate.migrate.trace import MISMATCH, trace_lines

    if not any(statement.trace for statement in plan.statements):
        return
    _out("  trace:")
    for statement in plan.statements:
        for text in trace_lines(statement.line, statement.trace):
            style = "bold red" if statement.trace and statement.trace.verdict == MISMATCH else ""
            _out(f"    [{style}]{escape(text)}[/]" if style else f"    {escape(text)}")


def _print_plan_report(report: PlanReport) -> None:
    _out(f"database: {escape(report.database)}")
    _out(f"applied: {escape(', '.join(report.applied)) or 'none'}")
    if not report.pending:
        _out("nothing to apply")
    for plan in report.pending:
        mode = "transactional" if plan.transactional else "autocommit"
        _out(f"\n[bold]{escape(plan.id)} {escape(plan.name)}[/] "
             f"({mode}; est. {plan.estimated_seconds:.1f} s of rewrites/scans)")
        header = ("line", "lock", "table", "rows", "size", "effect", "est. s")
        _out("  {:>5}  {:<22}  {:<28}  {:>11}  {:>9}  {:<8}  {:>6}  what".format(*header))
        for statement in plan.statements:
            _out(
                f"  {statement.line:>5}  {statement.lock_mode or '-':<22}  "
                f"{escape(statement.table or '-'):<28}  "
                f"{'' if statement.estimated_rows is None else f'{statement.estimated_rows:,}':>11}  "
                f"{human_size(statement.total_bytes):>9}  {statement.effect:<8}  "
                f"{'' if statement.estimated_seconds is None else f'{statement.estimated_seconds:.2f}':>6}  "
                f"{escape(statement.summary)}"
            )
        for statement in plan.statements:
            for finding in statement.findings:
                _print_finding(finding, indent="  ")
        if plan.progress:
            _out(f"  [magenta]{escape(plan.progress)}[/]: apply (--online or plain) resumes it")
        if plan.online_steps:
            from bhq_migrate.cli.steps_console import steps_lines
            from bhq_migrate.migrate.steps import PlanSteps

            _out("  with [bold]apply --online[/]:")
            states = {(plan.id, n): state for n, state in report.step_states.get(plan.id, {}).items()}
            for line in steps_lines([PlanSteps(plan=plan.id, name=plan.name, steps=plan.online_steps)], states):
                _out(f"  {line}")
        _print_forecast(plan)
        _print_trace(plan)
    for recommendation in report.recommendations:
        _out(f"\n[yellow]recommendation:[/] {escape(recommendation)}")
    if report.preflight:
        _out("\n[bold]pre-flight:[/]")
        for problem in report.preflight:
            style = "bold red" if problem["severity"] == "error" else "yellow"
            _out(f"  [{style}]{problem['severity']}[/] {escape(problem['plan'])}: {escape(problem['message'])}")
            for detail in problem.get("details", ()):
                _out(f"    {escape(str(detail))}")
    elif report.pending:
        _out("\npre-flight: no problems")
    counts = _summary(report.active_findings)
    _out(f"lint: {counts['error']} error(s), {counts['warning']} warning(s), {counts['info']} info")
    if report.trace is not None:
        verdicts = ", ".join(f"{count} {verdict}" for verdict, count in sorted(report.trace.counts.items()))
        _out(f"trace ({escape(report.trace.method)}): {escape(verdicts) or 'no statements'}")


@app.command()
def plan(
    database_url: str | None = typer.Option(None, "--database-url", "-d", help=DATABASE_URL_HELP),
    plans_dir: Path | None = typer.Option(None, "--plans-dir", help="Plan directory (default: the shipped plans)."),
    with_optional: bool = typer.Option(False, "--with-optional", help="Include optional plans (003_hardening)."),
    blocking_threshold: float = typer.Option(
        1.0, "--blocking-threshold", min=0, help="Recommend apply --online when a plain apply would hold a "
        "write-blocking lock longer than this many seconds (estimated from the catalog's sizes)."),
    output_format: PlanFormat = typer.Option(PlanFormat.console, "--format", "-f", help="Output format."),
    trace: bool = typer.Option(False, "--trace", help="Run the statements on a scratch copy (always rolled back) "
                               "and compare the locks and rewrites PostgreSQL reports with lint's prediction."),
    output: Path | None = typer.Option(None, "--output", "-o", help="With --format html: write the page here "
                                       "(default: standard output)."),
    trace_clone_max_mb: int = typer.Option(1024, "--trace-clone-max-mb", min=0, help="Clone the database for "
                                           "--trace only up to this size; bigger ones get a schema-only copy."),
    lock_timeout: LockTimeout = DEFAULT_LOCK_TIMEOUT,
    statement_timeout: StatementTimeout = DEFAULT_STATEMENT_TIMEOUT,
) -> None:
    """Show what `apply` would do, without writing anything: per statement the lock, the table's size,
    rewrite/scan time estimates, lint findings; and apply's pre-flight results.

    Exit codes: 0 apply would accept the plans, 1 lint errors or pre-flight problems, 2 could not run.
    """
    json_output("plan", output_format is PlanFormat.json)
    if output is not None and output_format is not PlanFormat.html:
        fail("--output works only with --format html")
    from bhq_migrate.connection import resolve_url
    from bhq_migrate.migrate.plan_report import build_plan_report

    url = guarded(lambda: resolve_url(database_url))
    directory = plans_dir or default_plans_dir()

    limits = session_limits(lock_timeout, statement_timeout)
    report = guarded(lambda: build_plan_report(url, directory, with_optional=with_optional, limits=limits,
                                               blocking_threshold=blocking_threshold), url)
    if trace:
        from bhq_migrate.migrate.trace import trace_report

        report.trace = guarded(lambda: trace_report(report, url, limits=limits,
                                                    clone_max_bytes=trace_clone_max_mb * 1024**2), url)
    if output_format is PlanFormat.html:
        from bhq_migrate.migrate.plan_html import render_plan_html

        page = render_plan_html(report)
        if output is None:
            sys.stdout.write(page)
        else:
            guarded(lambda: output.write_text(page, encoding="utf-8"))
    elif output_format is PlanFormat.json:
        print_json(envelope("plan", not report.refused, _summary(report.active_findings),
                            **report.model_dump(mode="json")))
    else:
        _print_plan_report(report)
    mismatch = report.trace is not None and report.trace.counts.get("Mismatch", 0) > 0
    raise typer.Exit(int(ExitCode.FAILED if report.refused or mismatch else ExitCode.OK))
