"""``bhq-migrate plan``: what applying the pending plans would do to this database, without doing it.

For every statement of every pending plan: the lock it takes and on which table, the table's current row
estimate and size from the catalog, whether it rewrites or scans the table and a rough duration, and the
lint findings; plus apply's pre-flight results. Everything runs in one READ ONLY transaction and nothing
is created, not even the history table.

Duration estimates are deliberately rough and use pre-flight's rate, from the timings in docs/seed-audit.md
(2 vCPU VM): a rewrite of "Invoice" (444 MB) took about 8 s, so a rewrite is estimated from the table's total
size (heap + indexes + TOAST) at that rate; a full scan (index build, constraint validation) is taken as 4x
faster, on the heap only. Catalog-only statements are instantaneous once their lock is granted, which is
why the lock column matters more than the time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
from pydantic import BaseModel

from bhq_migrate.catalog import Catalog, Table, read_catalog
from bhq_migrate.connection import SessionLimits, connect, describe
from bhq_migrate.lint.analysis import Effect, LockMode, display_name
from bhq_migrate.lint.context import LintContext, LintOptions, build_context
from bhq_migrate.lint.engine import LintFinding, run_rules
from bhq_migrate.lint.schema import CATALOG_PARTS
from bhq_migrate.lint.source import SourceFile, source_from_plan
from bhq_migrate.migrate.forecast import CONFLICTS, LiveSession, StatementForecast, forecast_locks, read_live_sessions
from bhq_migrate.migrate.history import read_history, read_progress
from bhq_migrate.migrate.online_apply import retype_checks, stored_steps
from bhq_migrate.migrate.preflight import REWRITE_BYTES_PER_SECOND, run_preflight
from bhq_migrate.migrate.runner import ApplyOptions, select_plans
from bhq_migrate.migrate.steps import Step, blocking_holds, derive_all
from bhq_migrate.migrate.trace import StatementTrace, TraceSummary
from bhq_migrate.plans import Plan, load_plans

SCAN_BYTES_PER_SECOND = REWRITE_BYTES_PER_SECOND * 4


class LockTaken(BaseModel):
    table: str
    mode: str


class StatementPlan(BaseModel):
    line: int
    column: int
    sql: str
    summary: str
    """What the statement does, in the words of the analysis table (``ALTER COLUMN TYPE x3``)."""
    table: str | None
    lock_mode: str | None
    locks: list[LockTaken]
    effect: str
    estimated_rows: int | None = None
    total_bytes: int | None = None
    estimated_seconds: float | None = None
    findings: list[LintFinding] = []
    forecast: StatementForecast | None = None
    """Who holds or waits for a conflicting lock on the statement's tables right now (forecast.py)."""
    trace: StatementTrace | None = None
    """With ``plan --trace``: what PostgreSQL did on a scratch copy, against lint's prediction (trace.py)."""


class PendingPlan(BaseModel):
    id: str
    name: str
    file: str
    transactional: bool
    optional: bool
    statements: list[StatementPlan]
    estimated_seconds: float
    online_steps: list[Step] = []
    """The steps ``apply --online`` would run (stored ones, with their state, for a plan in progress)."""
    progress: str | None = None


class PlanReport(BaseModel):
    database: str
    applied: list[str]
    pending: list[PendingPlan]
    findings: list[LintFinding]
    preflight: list[dict[str, Any]]
    """apply's pre-flight problems (``plan``, ``severity`` error|warning, ``code``, ``message``, ``details``)."""
    recommendations: list[str] = []
    """When a plain apply would hold a write-blocking lock longer than the threshold: use ``--online``."""
    step_states: dict[str, dict[int, str]] = {}
    """Plan id -> step number -> state, for plans an interrupted ``apply --online`` left in progress."""
    trace: TraceSummary | None = None

    @property
    def active_findings(self) -> list[LintFinding]:
        """Findings not suppressed in the plan (suppressed ones are kept to show what apply accepts)."""
        return [finding for finding in self.findings if finding.suppressed is None]

    @property
    def error_count(self) -> int:
        return sum(1 for finding in self.active_findings if finding.severity.value == "error")

    @property
    def refused(self) -> bool:
        """Would ``apply`` refuse? Lint errors or pre-flight errors."""
        return self.error_count > 0 or any(problem["severity"] == "error" for problem in self.preflight)


def estimate_seconds(effect: Effect, total_bytes: int | None, heap_bytes: int | None) -> float | None:
    """Rough duration of a rewrite or a full scan of a table of this size; None when not size-bound."""
    if effect is Effect.REWRITE and total_bytes is not None:
        return round(total_bytes / REWRITE_BYTES_PER_SECOND, 2)
    if effect is Effect.SCAN and heap_bytes is not None:
        return round(heap_bytes / SCAN_BYTES_PER_SECOND, 2)
    return None


def _preflight(conn: psycopg.Connection[Any], plans: list[Plan]) -> list[dict[str, Any]]:
    """apply's own pre-flight checks, as plain data."""
    return [problem.model_dump(mode="json") for problem in run_preflight(conn, plans)]


def _statement_plans(
    source: SourceFile, context: LintContext, findings: list[LintFinding], catalog: Catalog
) -> list[StatementPlan]:
    """One row per top-level statement of ``source``, with its findings (DO blocks count as one)."""
    by_statement: dict[int | None, list[LintFinding]] = {}
    for finding in findings:
        if finding.file == source.file:
            by_statement.setdefault(finding.statement, []).append(finding)
    rows: list[StatementPlan] = []
    for statement in context.statements_in(source):
        unit, effect = statement.unit, statement.effect
        if unit.in_do_block:
            continue
        # DROP INDEX names the index; the catalog knows its table, which is what gets locked and sized.
        table = effect.object
        live_index = catalog.indexes.get(_qname(effect.object)) if effect.object else None
        if live_index is not None:
            table = f"{live_index.table[0]}.{live_index.table[1]}"
        size: Table | None = catalog.tables.get(_qname(table)) if table else None
        line, column = unit.position()
        rows.append(
            StatementPlan(
                line=line,
                column=column,
                sql=unit.sql,
                summary=_describe_actions(effect.actions),
                table=display_name(table) if table else None,
                lock_mode=effect.lock_mode.value if effect.lock_mode else None,
                locks=[LockTaken(table=display_name(lock.table), mode=lock.mode.value) for lock in effect.locks],
                effect=effect.effect.value,
                estimated_rows=size.estimated_rows if size else None,
                total_bytes=size.total_bytes if size else None,
                estimated_seconds=estimate_seconds(effect.effect, size.total_bytes, size.heap_bytes) if size else None,
                findings=by_statement.get(unit.index, []),
            )
        )
    return rows


def _qname(qualified: str) -> tuple[str, str]:
    """``schema.name`` (as lint writes names) -> the catalog's key."""
    schema, _, name = qualified.partition(".")
    return (schema, name)


def _describe_actions(actions: tuple[str, ...]) -> str:
    """``ALTER COLUMN TYPE x3`` for three retype clauses."""
    counts: dict[str, int] = {}
    for action in actions:
        counts[action] = counts.get(action, 0) + 1
    return ", ".join(f"{action} x{count}" if count > 1 else action for action, count in counts.items())


def _attach_forecasts(entries: list[PendingPlan], sessions: list[LiveSession]) -> None:
    for entry in entries:
        held: dict[str, LockMode] = {}  # in a transactional plan, locks stay held until COMMIT
        for statement in entry.statements:
            statement.forecast = forecast_locks([(lock.table, lock.mode) for lock in statement.locks], sessions, held)
            if entry.transactional:
                for lock in statement.locks:
                    mode = LockMode(lock.mode)
                    if lock.table not in held or CONFLICTS[mode] > CONFLICTS[held[lock.table]]:
                        held[lock.table] = mode


def build_plan_report(
    url: str, plans_dir: Path, *, with_optional: bool = False, limits: SessionLimits | None = None,
    blocking_threshold: float = 1.0,
) -> PlanReport:
    """Read-only: the plans ``apply`` would run from ``plans_dir`` against the database at ``url``."""
    plans = select_plans(load_plans(plans_dir), ApplyOptions(plans_dir=plans_dir, with_optional=with_optional))
    with connect(url, limits=limits) as conn:
        conn.read_only = True
        applied = read_history(conn)
        in_progress = read_progress(conn)
        pending = [plan for plan in plans if plan.id not in applied]
        catalog = read_catalog(conn, CATALOG_PARTS)
        sources = [source_from_plan(plan) for plan in pending]
        context = build_context(sources, LintOptions(runner_sets_lock_timeout=True, keep_suppressed=True), catalog)
        findings = run_rules(context)
        fresh = [plan for plan in pending if plan.id not in in_progress]
        preflight = _preflight(conn, fresh) if fresh else []
        online_steps = {steps.plan: steps.steps for steps in derive_all(
            [plan for plan in fresh if plan.transactional], catalog, *retype_checks(conn))}
        for plan_id, progress in in_progress.items():
            online_steps[plan_id] = stored_steps(progress).steps
        recommendations = [
            f"plan {hold.plan} would hold {hold.lock} on {hold.table} for about {hold.seconds:,.1f} s (estimated "
            f"from its size in the catalog); apply --online keeps every blocking lock to a catalog change"
            for hold in blocking_holds(fresh, catalog) if hold.seconds > blocking_threshold]
        live_sessions = read_live_sessions(conn) if pending else []
        conn.rollback()
    entries = []
    for plan, source in zip(pending, sources, strict=True):
        statements = _statement_plans(source, context, findings, catalog)
        entries.append(
            PendingPlan(
                id=plan.id,
                name=plan.name,
                file=source.file,
                transactional=plan.transactional,
                optional=plan.optional,
                statements=statements,
                estimated_seconds=round(sum(s.estimated_seconds or 0 for s in statements), 2),
                online_steps=online_steps.get(plan.id, []),
                progress=in_progress[plan.id].describe() if plan.id in in_progress else None,
            )
        )
    _attach_forecasts(entries, live_sessions)
    return PlanReport(
        database=describe(url),
        applied=sorted(applied),
        pending=entries,
        findings=findings,
        preflight=preflight,
        recommendations=recommendations,
        step_states={plan_id: {row.step: row.state for row in progress.rows}
                     for plan_id, progress in in_progress.items()},
    )
