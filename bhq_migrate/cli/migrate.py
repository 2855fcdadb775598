"""`bhq-migrate apply`, `status` and `demo`: options and rendering only; the work is in bhq_migrate.migrate."""

from __future__ import annotations

import time
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple

import typer
from rich.live import Live
from rich.markup import escape
from rich.spinner import Spinner
from rich.table import Table

from bhq_migrate.cli.app import (
    DATABASE_URL_HELP,
    LockTimeout,
    StatementTimeout,
    app,
    error_line,
    finite,
    guarded,
    session_limits,
    stderr,
    stdout,
)
from bhq_migrate.cli.options import BaselineOption, FailOnOption, ScanConfigOption, SourceOption
from bhq_migrate.cli.output import json_output, print_json
from bhq_migrate.connection import (
    APPLY_STATEMENT_TIMEOUT,
    DEFAULT_LOCK_TIMEOUT,
    DEFAULT_STATEMENT_TIMEOUT,
    SessionLimits,
    resolve_url,
)
from bhq_migrate.errors import ConfigError, PreflightFailed
from bhq_migrate.exitcodes import ExitCode
from bhq_migrate.findings import Severity
from bhq_migrate.migrate.status import StatusReport, status
from bhq_migrate.report.envelope import envelope
from bhq_migrate.resources import default_plans_dir

if TYPE_CHECKING:  # the runner (and with it lint, pre-flight, pglast's printers) is imported by `apply` only
    from bhq_migrate.migrate.runner import ApplyOptions, ApplyResult, Event


class OutputFormat(str, Enum):
    console = "console"
    json = "json"


DatabaseUrl = Annotated[str | None, typer.Option("--database-url", "-d", help=DATABASE_URL_HELP, show_default=False)]
PlansDir = Annotated[
    Path | None,
    typer.Option("--plans-dir", help="Directory of NNN_slug.sql plans (default: the plans shipped with the tool).",
                 show_default=False),
]
Format = Annotated[OutputFormat, typer.Option("--format", "-f", help="console or json (machine-readable).")]


class _StatementLine:
    """The live line: plan, statement n/total, seconds in this plan (re-read at every refresh), SQL."""

    def __init__(self) -> None:
        self.spinner = Spinner("dots")
        self.event: Event | None = None
        self.plan_started = time.monotonic()

    def __rich__(self) -> Spinner:
        if self.event is not None:
            event, elapsed = self.event, time.monotonic() - self.plan_started
            self.spinner.update(text=f"{escape(event.plan)} \\[{event.statement}/{event.total}] {elapsed:6.1f}s  "
                                     f"{escape(event.text)}")
        return self.spinner


class _Progress:
    """Renders runner events: a live spinner line on a terminal, nothing when piped."""

    def __init__(self, enabled: bool, show_lint: bool = False) -> None:
        self.enabled = enabled and stderr.is_terminal
        self.show_lint = show_lint
        self.live: Live | None = None
        self.line = _StatementLine()

    def __enter__(self) -> _Progress:
        if self.enabled:
            self.live = Live(self.line, console=stderr, refresh_per_second=10, transient=True)
            self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live is not None:
            self.live.__exit__(None, None, None)

    def __call__(self, event: Event) -> None:
        if event.kind == "lint":
            if self.show_lint:
                for line in event.text.splitlines():
                    stderr.print(f"[yellow]lint:[/] {escape(line)}")
            else:
                stderr.print(f"[yellow]lint:[/] {event.total} warning(s) accepted; see them with "
                             f"--show-lint-warnings or `bhq-migrate plan`")
            return
        if event.kind in ("warning", "retry", "lock-wait"):
            label = {"warning": "warning", "retry": "retry", "lock-wait": "waiting"}[event.kind]
            stderr.print(f"[yellow]{label}:[/] {escape(event.text)}")
            return
        if event.kind == "online" and not event.total:  # a part of an online retype, not a batch
            stderr.print(f"[cyan]online:[/] {escape(event.text)}")
            return
        if self.live is None:
            return
        if event.kind == "online":
            self.line.event = event
        elif event.kind == "plan-start":
            self.line.plan_started = time.monotonic()
        elif event.kind == "statement":
            self.line.event = event
        elif event.kind == "plan-done":
            stderr.print(f"[green]✓[/] {escape(event.plan)} done in {event.elapsed:.2f} s ({event.total} statements)")


def _render_apply(result: ApplyResult) -> None:
    title = "Applied to"
    if result.dry_run:
        title = "Dry run (nothing changed) on" if result.steps else "Dry run (rolled back) on"
    stdout.print(f"{title} [bold]{escape(result.database)}[/]")
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for column in ("plan", "name", "result", "statements", "time"):
        table.add_column(column)
    for outcome in result.outcomes:
        style = {"applied": "green", "already-applied": "dim", "rolled-back (dry run)": "cyan",
                 "not run (online dry run)": "cyan"}.get(outcome.status, "")
        took = f"{outcome.duration_ms / 1000:.2f} s" if outcome.status != "already-applied" else ""
        attempts = f" (attempt {outcome.attempts})" if outcome.attempts > 1 else ""
        table.add_row(escape(outcome.id), escape(outcome.name), f"[{style}]{outcome.status}{attempts}[/]",
                      str(outcome.statements or ""), took)
    stdout.print(table)
    if result.dry_run:
        for outcome in result.applied:
            for change in outcome.changes:
                stdout.print(f"  [cyan]would run[/] {escape(change)}")
    if result.steps and result.dry_run:
        from bhq_migrate.cli.steps_console import steps_lines  # here: `status` must not import lint

        stdout.print("Steps apply --online would run (nothing was changed):")
        for line in steps_lines(result.steps):
            stdout.print(line)
    for retyped in result.online:
        columns = escape(", ".join(retyped.columns))
        stdout.print(f"  [cyan]online retype[/] {escape(retyped.table)}: {columns} -> bigint, "
                     f"{retyped.rows_backfilled:,} rows copied in {retyped.batches} batch(es), "
                     f"{retyped.duration_ms / 1000:.2f} s (plan {retyped.plan})")
    for run in result.after_swap:
        colour = "green" if run.exit_code == 0 else "red"
        stdout.print(f"  [cyan]after swap[/] {escape(run.table)}: command exited [{colour}]{run.exit_code}[/]")
    done = len(result.applied)
    verb = "would apply" if result.dry_run else "applied"
    stdout.print(f"{done} plan(s) {verb}." if done else "Nothing to apply: the database is up to date.")


def _render_preflight(error: PreflightFailed) -> None:
    stderr.print("[bold red]Pre-flight found problems; nothing was changed:[/]")
    for problem in error.problems:
        stderr.print(f"  [red]✗[/] plan {escape(problem.plan)}: {escape(problem.message)}")
        for detail in problem.details:
            stderr.print(f"      {escape(str(detail))}")


@app.command("apply")
def apply_command(
    database_url: DatabaseUrl = None,
    plans_dir: PlansDir = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Run the pending plans inside a transaction, "
                                          "show what would change, then roll back.")] = False,
    single_transaction: Annotated[bool, typer.Option(
        "--single-transaction", help="All pending plans in one transaction instead of one each.")] = False,
    lock_timeout: LockTimeout = DEFAULT_LOCK_TIMEOUT,
    statement_timeout: StatementTimeout = APPLY_STATEMENT_TIMEOUT,
    retries: Annotated[int, typer.Option(min=0, help="Retries of a plan that hit lock_timeout (with backoff).")] = 3,
    retry_backoff: Annotated[float, typer.Option(min=0, callback=finite,
                                                 help="First retry pause in seconds; doubles each time.")] = 1.0,
    wait: Annotated[float, typer.Option(min=0, callback=finite,
                                        help="Seconds to wait for another running apply to finish.")] = 30.0,
    accept_changed: Annotated[list[str] | None, typer.Option(
        "--accept-changed", help="Accept the edited file of this applied plan id (repeatable).")] = None,
    with_optional: Annotated[bool, typer.Option(
        "--with-optional", help="Also apply optional plans (003 hardening).")] = False,
    only: Annotated[list[str] | None, typer.Option("--only", help="Apply only this plan id (repeatable).")] = None,
    record_prisma: Annotated[bool, typer.Option(
        "--record-prisma", help="Also record each plan in Prisma's _prisma_migrations table.")] = False,
    verify: Annotated[bool, typer.Option("--verify", help="Run `verify` after applying.")] = False,
    no_lint: Annotated[bool, typer.Option("--no-lint", help="Skip the lint gate (not recommended).")] = False,
    output: Format = OutputFormat.console,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="No live progress line.")] = False,
    show_lint_warnings: Annotated[bool, typer.Option(
        "--show-lint-warnings", help="List every lint warning accepted by the gate, not just their count.")] = False,
    online_retype: Annotated[bool, typer.Option(
        "--online-retype", help="Only the retype part of --online (deprecated: use --online): INT -> BIGINT "
        "columns retyped online before the plan's transaction; the rest of the plan runs in it as usual.")] = False,
    online_batch_rows: Annotated[int, typer.Option(
        "--online-batch-rows", min=1, help="Primary-key range copied per backfill transaction.")] = 20_000,
    online_min_rows: Annotated[int, typer.Option(
        "--online-min-rows", min=0, help="With --online-retype, tables with fewer (estimated) rows keep the normal "
        "rewrite.")] = 0,
    online_mode: Annotated[bool, typer.Option(
        "--online", help="Run each plan as short steps that never block reads and writes for longer than a catalog "
        "change (concurrent index builds, NOT VALID + VALIDATE, online INT -> BIGINT); resumable after a "
        "kill.")] = False,
    online_lock_timeout: Annotated[str, typer.Option(
        "--online-lock-timeout", help="With --online: how long a catalog step may wait for its lock.")] = "500ms",
    online_batch_ms: Annotated[float, typer.Option(
        "--online-batch-ms", min=0, help="With --online: target duration of one copy or backfill batch (0: fixed "
        "--online-batch-rows).")] = 50.0,
    online_batch_pause_ms: Annotated[float, typer.Option(
        "--online-batch-pause-ms", min=0, max=60_000, help="With --online: rest this long after each copy, "
        "catch-up or backfill transaction, leaving the CPU to the application (0: no rest; faster, harder on the "
        "application's latency).")] = 35.0,
    online_maintenance_work_mem: Annotated[str, typer.Option(
        "--online-maintenance-work-mem", help="With --online: maintenance_work_mem for the session's index builds "
        "and vacuums, when the server's setting is lower (e.g. 256MB, 1GB).")] = "256MB",
    online_parallel_workers: Annotated[int, typer.Option(
        "--online-parallel-workers", min=0, max=1024, help="With --online: max_parallel_maintenance_workers and "
        "max_parallel_workers_per_gather for the session's index builds, foreign-key validations and vacuums (0: "
        "one process each, leaving the other cores to the application).")] = 0,
    allow_blocking: Annotated[bool, typer.Option(
        "--allow-blocking", help="With --online: run statements it cannot make non-blocking as they are, instead "
        "of refusing.")] = False,
    after_swap: Annotated[str | None, typer.Option(
        "--after-swap", help="Shell command run right after each table's column types changed (e.g. recycle the "
        "pooler); BHQ_MIGRATE_TABLE names the table. Its exit code is reported.", show_default=False)] = None,
    blocking_threshold: Annotated[float, typer.Option(
        "--blocking-threshold", min=0, help="Recommend --online when a write-blocking lock would be held longer "
        "than this many seconds (estimated from the catalog).")] = 1.0,
    source: SourceOption = None,
    fail_on: FailOnOption = None,
    baseline: BaselineOption = None,
    config_file: ScanConfigOption = None,
) -> None:
    """Apply the pending plans, each in its own transaction (or, with --online, as short resumable steps),
    recorded in bhq_migrate.history.

    With --verify, verify after applying (and with --source, scan that code too: the gate of `verify --source`).
    """
    from bhq_migrate.migrate.runner import ApplyOptions, apply

    json_output("apply", output is OutputFormat.json)
    url = guarded(lambda: resolve_url(database_url))
    options = guarded(lambda: ApplyOptions(
        plans_dir=plans_dir or default_plans_dir(), dry_run=dry_run, single_transaction=single_transaction,
        lock_timeout=lock_timeout, statement_timeout=statement_timeout, retries=retries, retry_backoff=retry_backoff,
        lock_wait=wait, accept_changed=tuple(accept_changed or ()), with_optional=with_optional,
        only=tuple(only or ()), record_prisma=record_prisma, lint=not no_lint, online_retype=online_retype,
        online_batch_rows=online_batch_rows, online_min_rows=online_min_rows, online=online_mode,
        online_lock_timeout=online_lock_timeout, online_batch_ms=online_batch_ms, allow_blocking=allow_blocking,
        online_batch_pause_ms=online_batch_pause_ms,
        online_maintenance_work_mem=online_maintenance_work_mem, online_parallel_workers=online_parallel_workers,
        after_swap=after_swap,
        blocking_threshold=blocking_threshold,
    ))

    def run() -> ApplyResult:
        with _Progress(enabled=not no_progress and output is OutputFormat.console,
                       show_lint=show_lint_warnings) as progress:
            try:
                return apply(url, options, progress)
            except PreflightFailed as error:
                if output is OutputFormat.console:
                    _render_preflight(error)
                raise

    result = guarded(run, url) if output is OutputFormat.console else guarded(lambda: _json_guarded(run, url), url)
    payload: dict[str, Any] = result.model_dump(mode="json")
    exit_code = ExitCode.OK
    if source and not verify:
        guarded(lambda: _needs_verify("--source"))
    if output is OutputFormat.console:
        _render_apply(result)  # before verify's summary: it reads as "applied, then checked"
    if verify:
        exit_code = _verify_after_apply(url, options, payload, output,
                                        GateSettings(source or [], fail_on, baseline, config_file))
    if output is OutputFormat.json:
        summary = {"applied": len(result.applied), "plans": len(result.outcomes), "dry_run": result.dry_run}
        if "verify" in payload:
            summary["verify"] = payload["verify"].get("summary", {}).get("schema", payload["verify"].get("counts"))
            summary["verify_ok"] = payload["verify"]["ok"]
        print_json(envelope("apply", exit_code is ExitCode.OK, summary, **payload))
    raise typer.Exit(int(exit_code))


def _json_guarded(run: Any, url: str) -> ApplyResult:
    """In JSON mode failures are JSON on stdout too (still with the documented exit code)."""
    from bhq_migrate.cli.output import emit_json_error
    from bhq_migrate.connection import redact
    from bhq_migrate.errors import BhqError

    try:
        return run()  # type: ignore[no-any-return]
    except BhqError as error:  # the payload says what happened before: the plans applied, pre-flight's problems
        extra: dict[str, Any] = {"applied": list(error.applied)}
        if isinstance(error, PreflightFailed):
            extra["preflight"] = [problem.model_dump() for problem in error.problems]
        emit_json_error(type(error).__name__, redact(str(error), url), **extra)
        error_line(str(error), url)  # and the one line on stderr, like every other failure
        raise typer.Exit(int(error.exit_code)) from None


def _needs_verify(option: str) -> None:
    raise ConfigError(f"{option} needs --verify (the code is scanned by the verify step)")


class GateSettings(NamedTuple):
    sources: list[Path]
    fail_on: Severity | None
    baseline: Path | None
    config_file: Path | None


def _verify_after_apply(url: str, options: ApplyOptions, payload: dict[str, Any], output: OutputFormat,
                        gate_settings: GateSettings) -> ExitCode:
    from bhq_migrate.report.verify_console import render_summary
    from bhq_migrate.report.verify_formats import verify_payload, verify_summary
    from bhq_migrate.verify import VerifyOptions, verify

    limits = SessionLimits(options.lock_timeout, options.statement_timeout)
    verify_options = VerifyOptions(plans_dir=options.plans_dir, limits=limits)
    if gate_settings.sources:
        from bhq_migrate.cli.verify import print_gate_console, run_gate_for
        from bhq_migrate.report.gate_formats import gate_payload

        gate = guarded(lambda: run_gate_for(url, verify_options, *gate_settings), url)
        payload["verify"] = {**gate_payload(gate), "ok": gate.ok, "summary": gate.summary()}
        if output is OutputFormat.console:
            print_gate_console(gate, summary_only=True)
        return ExitCode.OK if gate.ok else ExitCode.FAILED
    report = guarded(lambda: verify(url, verify_options), url)
    payload["verify"] = {**verify_payload(report), "summary": verify_summary(report)}  # as `verify --format json`
    if output is OutputFormat.console:
        stdout.print(render_summary(report))
    return ExitCode.OK if report.ok else ExitCode.FAILED


@app.command("status")
def status_command(
    database_url: DatabaseUrl = None,
    plans_dir: PlansDir = None,
    output: Format = OutputFormat.console,
    lock_timeout: LockTimeout = DEFAULT_LOCK_TIMEOUT,
    statement_timeout: StatementTimeout = DEFAULT_STATEMENT_TIMEOUT,
) -> None:
    """Show every plan as applied, pending, changed (edited since applied) or optional. Never writes.

    Exit codes: 0 history matches the plan files, 1 an applied plan's file was edited (changed) or is missing,
    2 could not run.
    """
    json_output("status", output is OutputFormat.json)
    url = guarded(lambda: resolve_url(database_url))
    limits = session_limits(lock_timeout, statement_timeout)
    report = guarded(lambda: status(url, plans_dir, limits), url)
    problems = status_problems(report)
    if output is OutputFormat.json:
        states = [plan.state for plan in report.plans]
        summary = {state: states.count(state) for state in ("applied", "pending", "changed", "optional")}
        summary["missing"] = len(report.unknown_applied)
        print_json(envelope("status", not problems, summary, problems=problems, **report.model_dump(mode="json")))
    else:
        render_status(report)
        for problem in problems:
            stderr.print(f"[bold red]error:[/] {escape(problem)}")
    raise typer.Exit(int(ExitCode.FAILED if problems else ExitCode.OK))


def status_problems(report: StatusReport) -> list[str]:
    """Why ``status`` exits 1: history no longer matches the plan files (Flyway's ``validate`` fails too)."""
    problems = [f"plan {plan.id} ({plan.file}) was edited after it was applied: its checksum no longer matches "
                "history (restore it, or accept it with apply --accept-changed)"
                for plan in report.plans if plan.state == "changed"]
    problems += [f"plan {plan_id} is recorded in history but its file is missing from the plans directory"
                 for plan_id in report.unknown_applied]
    return problems


def render_status(report: StatusReport) -> None:
    stdout.print(f"Plans for [bold]{escape(report.database)}[/]"
                 + ("" if report.history_table_exists else " [dim](no history table yet)[/]"))
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("plan", "name", "state", "applied at", "took", "by"):
        table.add_column(column)
    colours = {"applied": "green", "pending": "yellow", "changed": "red", "optional": "dim", "in progress": "magenta"}
    for plan in report.plans:
        state = plan.state + (" (optional)" if plan.optional and plan.state == "pending" else "")
        if plan.progress:
            state = escape(plan.progress)
        state += f" (only with --only {plan.id})" if plan.explicit and plan.state == "optional" else ""
        table.add_row(
            escape(plan.id), escape(plan.name), f"[{colours[plan.state]}]{state}[/]",
            plan.applied_at.strftime("%Y-%m-%d %H:%M:%S %Z") if plan.applied_at else "",
            f"{plan.duration_ms / 1000:.2f} s" if plan.duration_ms is not None else "",
            escape(plan.applied_by or ""),
        )
    stdout.print(table)
