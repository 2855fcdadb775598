"""Applying plans: advisory lock -> history check -> pre-flight -> one transaction per plan -> history row.

Guarantees:

* A plan and its history row commit together or not at all, so after any crash (even SIGKILL) each plan is
  either fully applied and recorded, or absent.
* A session advisory lock serialises concurrent runs; the loser waits up to ``lock_wait`` then names
  the holder. History is re-read after the lock is taken, so no plan is ever applied twice.
* ``lock_timeout`` bounds how long any statement may queue (and block everyone queued behind it). A plan's
  transaction first takes every table lock it needs, in a fixed order, the whole phase bounded by
  ``lock_timeout`` (see locks.py), so no other session waits longer than that for it. A plan that hits the
  timeout is rolled back and retried with backoff, then fails naming the blocking session. Pre-flight and
  lint's catalog reads run in the same retry loop.
* A failure after earlier plans committed names them: they stay applied and recorded.
* ``dry_run`` executes everything inside one transaction that is always rolled back.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any, Literal, TypeVar, cast

import psycopg
from pglast import ast
from psycopg import errors as pg_errors
from psycopg import sql
from pydantic import BaseModel, ConfigDict, Field, field_validator

from bhq_migrate.connection import (
    APPLY_STATEMENT_TIMEOUT,
    DEFAULT_LOCK_TIMEOUT,
    SessionLimits,
    connect,
    describe_exclusive_holders,
    is_timeout,
    timeout_error,
)
from bhq_migrate.errors import (
    BadPlan,
    BhqError,
    ConfigError,
    Interrupted,
    LockBusy,
    LockTimeout,
    PermissionDenied,
    PlanChanged,
    PlanFailed,
    PreflightFailed,
)
from bhq_migrate.findings import Severity
from bhq_migrate.lint.engine import LintFinding, check_before_apply
from bhq_migrate.migrate import history, locks, online
from bhq_migrate.migrate.blockers import describe_blockers, describe_lock_holder, describe_table_blockers
from bhq_migrate.migrate.history import plan_states
from bhq_migrate.migrate.online import AfterSwap, OnlineRetype, TableRetype
from bhq_migrate.migrate.preflight import PreflightProblem, result_type_tables, run_preflight
from bhq_migrate.migrate.steps import PlanSteps
from bhq_migrate.plans import Plan, Statement, load_plans
from bhq_migrate.resources import default_plans_dir

Connection = psycopg.Connection[Any]
T = TypeVar("T")

# 'bhq_migr' as a bigint: the key every bhq-migrate process locks, whatever the database.
ADVISORY_LOCK_KEY = 0x6268715F6D696772


class ApplyOptions(BaseModel):
    """Everything ``apply`` can be told; the defaults are the documented ones."""

    model_config = ConfigDict(frozen=True)

    plans_dir: Path = Field(default_factory=default_plans_dir)
    dry_run: bool = False
    single_transaction: bool = False
    lock_timeout: str = DEFAULT_LOCK_TIMEOUT
    statement_timeout: str = APPLY_STATEMENT_TIMEOUT
    retries: int = Field(default=3, ge=0)
    retry_backoff: float = Field(default=1.0, ge=0)
    lock_wait: float = Field(default=30.0, ge=0)
    accept_changed: tuple[str, ...] = ()
    with_optional: bool = False
    only: tuple[str, ...] = ()
    record_prisma: bool = False
    slow_rewrite_seconds: float = 10.0
    lint: bool = True
    online_retype: bool = False
    """Retype INT -> BIGINT columns of existing tables online before the plan's transaction (see online.py)."""
    online_batch_rows: int = Field(default=20_000, ge=1)
    online_min_rows: int = Field(default=0, ge=0)
    """Tables with fewer (estimated) rows keep the plan's normal in-transaction rewrite."""
    online: bool = False
    """Run each pending plan as short steps (steps.py, online_apply.py) instead of one long transaction."""
    online_lock_timeout: str = "500ms"
    """How long an online catalog step may wait for its lock (and so how long others queue behind it)."""
    online_batch_ms: float = Field(default=50.0, ge=0)
    """--online: target duration of one backfill batch; 0 keeps online_batch_rows fixed."""
    online_batch_pause_ms: float = Field(default=35.0, ge=0, le=60_000)
    """--online: a rest after each copy, catch-up or backfill transaction, leaving the server's CPU to the
    application for that long. 35 ms after a default 50 ms batch: the copy takes about 0.6 of a core. On a 2-core
    server that kept the load's p99 within 2x its baseline's at 2M invoices (no rest did not) and the wall time
    within 3x a plain apply's at 10M (50 ms did not), and it beat 50 ms on both in every clean round
    (bench/RESULTS.md, "The plan's added columns on the copy; a shorter rest")."""
    online_maintenance_work_mem: str = "256MB"
    """--online: the session's maintenance_work_mem for its index builds, if the server's is lower (a sort that
    fits in memory is not spilled to disk; PostgreSQL's default, 64MB, spills a 2M-row index build)."""
    online_parallel_workers: int = Field(default=0, ge=0, le=1024)
    """--online: the session's max_parallel_maintenance_workers for its index builds and vacuums. 0 keeps each to
    one process: PostgreSQL's default (2) lets a build take three cores, and on a small server the application's
    queries then wait for CPU (bench/RESULTS.md: on 2 cores the load's p99 ratio grew by half with 2 workers)."""
    allow_blocking: bool = False
    """--online: run statements that cannot be made non-blocking as they are, instead of refusing."""
    after_swap: str | None = None
    """Shell command run right after each table's result types changed (online swap, or plain plan commit)."""
    after_swap_timeout: float = Field(default=600.0, gt=0)
    blocking_threshold: float = Field(default=1.0, ge=0)
    """Recommend --online when a plain apply would hold a write-blocking lock longer than this (seconds)."""

    @field_validator("online_maintenance_work_mem")
    @classmethod
    def _memory_size(cls, value: str) -> str:
        if not _MEMORY.fullmatch(value.strip()):
            raise ValueError(f"{value!r} is not a memory size (use e.g. 256MB, 1GB)")
        return value.strip()


_MEMORY = re.compile(r"\d+\s*(?:kB|MB|GB|TB)")


class PlanOutcome(BaseModel):
    id: str
    name: str
    status: Literal["applied", "already-applied", "rolled-back (dry run)", "skipped (not transactional)",
                    "not run (online dry run)"]
    duration_ms: int = 0
    statements: int = 0
    attempts: int = 0
    changes: list[str] = Field(default_factory=list)


class ApplyResult(BaseModel):
    database: str
    dry_run: bool
    outcomes: list[PlanOutcome]
    warnings: list[str] = Field(default_factory=list)
    """Pre-flight warnings (long rewrites)."""
    lint_warnings: list[str] = Field(default_factory=list)
    """Lint warnings the gate accepted (errors refuse the run instead)."""
    online: list[OnlineRetype] = Field(default_factory=list)
    """Tables retyped online (``--online-retype`` before their plan's transaction, or ``--online`` steps)."""
    steps: list[PlanSteps] = Field(default_factory=list)
    """``--online``: the steps of each pending plan (the dry run's whole output)."""
    after_swap: list[AfterSwap] = Field(default_factory=list)
    recommendations: list[str] = Field(default_factory=list)
    """Why ``--online`` would be better for this run (long write-blocking locks), when it was not used."""
    result_type_changes: list[str] = Field(default_factory=list)
    """Tables whose columns change type: clients' prepared statements on them fail until re-prepared."""

    @property
    def applied(self) -> list[PlanOutcome]:
        return [o for o in self.outcomes
                if o.status in ("applied", "rolled-back (dry run)", "not run (online dry run)")]


class Event(BaseModel):
    """Progress for a terminal: the CLI renders these; the library never prints."""

    kind: Literal["lock-wait", "plan-start", "statement", "retry", "plan-done", "warning", "lint", "online"]
    plan: str = ""
    statement: int = 0
    total: int = 0
    text: str = ""
    elapsed: float = 0.0


EventSink = Callable[[Event], None]


def _ignore(_event: Event) -> None:
    return None


def select_plans(plans: Sequence[Plan], options: ApplyOptions) -> list[Plan]:
    """The plans this run is about: ``--only`` ids, else every plan, with optional ones on request (except
    ``optional: explicit`` plans, which run only when named with ``--only``)."""
    known = {plan.id for plan in plans}
    unknown = [plan_id for plan_id in options.only if plan_id not in known]
    if unknown:
        raise BadPlan(f"unknown plan id(s): {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    if options.only:
        return [plan for plan in plans if plan.id in options.only]
    return [plan for plan in plans if not plan.optional or (options.with_optional and not plan.explicit)]


def check_checksums(plans: Sequence[Plan], applied: dict[str, history.HistoryRow], accept: Sequence[str]) -> None:
    changed = [p for p in plans if p.id in applied and applied[p.id].sha256 != p.sha256 and p.id not in accept]
    if changed:
        names = ", ".join(str(p.path) for p in changed)
        raise PlanChanged(
            f"applied plan file(s) changed since they were applied: {names}; restore them, or accept the "
            f"edit with --accept-changed {' --accept-changed '.join(p.id for p in changed)}"
        )


def apply(url: str, options: ApplyOptions | None = None, on_event: EventSink = _ignore) -> ApplyResult:
    """Apply every pending plan in ``options.plans_dir`` to the database at ``url``."""
    options = options or ApplyOptions()
    if options.dry_run and options.online_retype:
        # The online steps commit batch by batch (that is what keeps the locks short), so a dry run could not
        # roll them back; a dry run of the plans themselves is what --dry-run alone shows.
        raise ConfigError("--online-retype cannot be combined with --dry-run: its backfill commits batch by batch "
                          "and could not be rolled back; run --dry-run without --online-retype")
    if options.online and options.single_transaction:
        raise ConfigError("--online cannot be combined with --single-transaction: it runs each plan as short steps")
    if options.online and options.online_retype:
        raise ConfigError("--online already retypes INT -> BIGINT online; drop --online-retype")
    limits = SessionLimits(options.lock_timeout, options.statement_timeout)  # a bad duration is a ConfigError
    plans = select_plans(load_plans(options.plans_dir), options)  # parse errors surface before connecting
    with connect(url, autocommit=True, limits=limits) as conn:
        conn.add_notice_handler(partial(_server_warning, on_event))
        try:
            _configure_session(conn, options)
            with _advisory_lock(conn, options.lock_wait, on_event):
                return _apply_locked(conn, plans, options, on_event)
        except pg_errors.InsufficientPrivilege as exc:
            raise PermissionDenied(f"insufficient privileges: {_message(exc)}") from None
        except (pg_errors.InvalidParameterValue, pg_errors.InvalidTextRepresentation) as exc:
            raise ConfigError(f"invalid setting: {_message(exc)}") from None


def _server_warning(on_event: EventSink, diagnostic: psycopg.errors.Diagnostic) -> None:
    """A plan's RAISE WARNING (plan 004: a role it may not create) reaches the user as a warning. NOTICEs stay
    quiet: the server sends one for every IF [NOT] EXISTS that skips, which a re-run is full of."""
    if diagnostic.severity_nonlocalized == "WARNING":
        on_event(Event(kind="warning", text=f"server: {diagnostic.message_primary or ''}"))


def _configure_session(conn: Connection, options: ApplyOptions) -> None:
    # lock_timeout and statement_timeout are startup options of the connection (connection.SessionLimits).
    if conn.info.server_version >= 140000:
        # If this process dies mid-statement (even SIGKILL), the server notices within a second and rolls
        # back, instead of finishing a long rewrite and holding ACCESS EXCLUSIVE for nobody.
        conn.execute("SET client_connection_check_interval = '1s'")


@contextlib.contextmanager
def _advisory_lock(conn: Connection, wait: float, on_event: EventSink) -> Iterator[None]:
    deadline = time.monotonic() + wait
    announced = False
    while True:
        row = conn.execute("SELECT pg_try_advisory_lock(%s)", (ADVISORY_LOCK_KEY,)).fetchone()
        if row and row[0]:
            break
        if time.monotonic() >= deadline:
            raise LockBusy(
                f"another bhq-migrate is running ({describe_lock_holder(conn, ADVISORY_LOCK_KEY)}); "
                f"waited {wait:g} s"
            )
        if not announced:
            on_event(Event(kind="lock-wait", text=describe_lock_holder(conn, ADVISORY_LOCK_KEY)))
            announced = True
        time.sleep(0.2)
    try:
        yield
    finally:
        with contextlib.suppress(psycopg.Error):
            conn.execute("SELECT pg_advisory_unlock(%s)", (ADVISORY_LOCK_KEY,))


def _apply_locked(conn: Connection, plans: list[Plan], options: ApplyOptions, on_event: EventSink) -> ApplyResult:
    from bhq_migrate.connection import describe

    database = describe(conn.info.dsn)
    rolled_back = options.dry_run and not options.online  # an online dry run only reads
    with conn.transaction(force_rollback=True) if rolled_back else contextlib.nullcontext():
        applied = history.read_history(conn)  # the table itself is created with the first plan it records
        check_checksums(plans, applied, options.accept_changed)
        in_progress = history.read_progress(conn)
        _check_in_progress(plans, applied, in_progress)
        accepted = [p for p in plans if p.id in options.accept_changed and p.id in applied
                    and applied[p.id].sha256 != p.sha256]
        if accepted:
            with conn.transaction():
                for plan in accepted:
                    history.accept_checksum(conn, plan)
        pending = [plan for plan in plans if plan.id not in applied]
        _check_dependencies(pending, applied)
        warnings: list[str] = []
        from bhq_migrate.migrate import online_apply

        def checks() -> tuple[list[str], list[PreflightProblem], list[LintFinding], list[PlanSteps]]:
            online_warnings: list[str] = []  # per attempt: a retried attempt must not repeat them
            online_plan: list[TableRetype] = []
            if options.online_retype:  # read-only: which tables qualify now, and why the others do not
                online_plan = online.plan_online(conn, [p for p in pending if p.transactional],
                                                 options.online_min_rows, online_warnings.append)
            planned = online_apply.plan_steps(conn, pending, in_progress, options)  # refuses blocking steps
            stepped = {(s.schema_name, s.table_name) for p in planned for s in p.steps if s.kind == "retype"}
            problems = run_preflight(conn, [p for p in pending if p.id not in in_progress],
                                     slow_rewrite_seconds=options.slow_rewrite_seconds,
                                     online_tables={retype.table for retype in online_plan} | stepped)
            errors = [p for p in problems if p.severity == "error"]
            if errors:
                raise PreflightFailed.with_problems(errors)
            # Lint refuses (LintRefused) on any error; the warnings it accepts are reported.
            fresh = [p for p in pending if p.id not in in_progress]
            return online_warnings, problems, check_before_apply(conn, fresh) if options.lint else [], planned

        online_warnings, problems, findings, planned = _catalog_reads(conn, options, on_event, checks)
        warnings += online_warnings
        warnings += [f"{p.plan}: {p.message}" for p in problems if p.severity == "warning"]
        for warning in warnings:
            on_event(Event(kind="warning", text=warning))
        lint_warnings = [_accepted(finding) for finding in findings if finding.severity is not Severity.INFO]
        if lint_warnings:
            on_event(Event(kind="lint", total=len(lint_warnings), text="\n".join(lint_warnings)))
        outcomes = [
            PlanOutcome(id=p.id, name=p.name, status="already-applied") for p in plans if p.id in applied
        ]
        advice = online_apply.advice(conn, pending, in_progress, planned, options)
        for text in advice.recommendations:
            on_event(Event(kind="warning", text=text))
        done_online: list[OnlineRetype] = []
        after_swaps: list[AfterSwap] = []
        if options.online and options.dry_run:
            outcomes += [PlanOutcome(id=p.id, name=p.name, status="not run (online dry run)",
                                     statements=len(p.statements)) for p in pending]
        else:
            outcomes += _run_pending(conn, pending, options, on_event, warnings, done_online, in_progress,
                                     after_swaps)
    outcomes.sort(key=lambda outcome: outcome.id)
    return ApplyResult(database=database, dry_run=options.dry_run, outcomes=outcomes, warnings=warnings,
                       lint_warnings=lint_warnings, online=done_online, steps=planned, after_swap=after_swaps,
                       recommendations=advice.recommendations, result_type_changes=advice.result_type_changes)


def _check_in_progress(plans: Sequence[Plan], applied: dict[str, history.HistoryRow],
                       in_progress: dict[str, history.PlanProgress]) -> None:
    """A plan stopped half-way by apply --online must be resumed from the very file it started with."""
    by_id = {plan.id: plan for plan in plans}
    for plan_id, progress in in_progress.items():
        plan = by_id.get(plan_id)
        if plan_id in applied:
            continue
        if plan is not None and plan.sha256 != progress.sha256:
            raise PlanChanged(
                f"plan {plan.filename} is half-applied by apply --online ({progress.describe()}) from a file with a "
                f"different checksum; restore the file it started with, then rerun apply to finish it")


def _catalog_reads(conn: Connection, options: ApplyOptions, on_event: EventSink, work: Callable[[], T]) -> T:
    """Online planning's, pre-flight's and lint's reads, retried like a plan: they read table data (duplicate
    keys) and call catalog functions that take ACCESS SHARE (sizes, index definitions), so an ACCESS EXCLUSIVE
    lock held anywhere they look makes them wait, up to lock_timeout."""
    def attempt(_attempt: int) -> T:
        try:
            return work()
        except psycopg.Error as exc:
            if not (is_timeout(exc) or isinstance(exc, pg_errors.DeadlockDetected)):
                raise
            raise _LockTimedOut("", "pre-flight and lint (catalog reads)", "", blockers=describe_exclusive_holders
                                ) from None
    return _with_retries(conn, options, on_event, attempt, kept="nothing was changed")


def _accepted(finding: LintFinding) -> str:
    suppressed = f" (accepted: {finding.suppressed})" if finding.suppressed else ""
    return f"{finding.location()}: {finding.rule} {finding.message}{suppressed}"


def _check_dependencies(pending: Sequence[Plan], applied: dict[str, history.HistoryRow]) -> None:
    available = set(applied) | {plan.id for plan in pending}
    for plan in pending:
        missing = [dep for dep in plan.depends if dep not in available]
        if missing:
            raise BadPlan(
                f"plan {plan.filename} depends on {', '.join(missing)}, which is neither applied nor selected"
            )


def _run_pending(
    conn: Connection, pending: list[Plan], options: ApplyOptions, on_event: EventSink,
    warnings: list[str] | None = None, done_online: list[OnlineRetype] | None = None,
    in_progress: dict[str, history.PlanProgress] | None = None, after_swaps: list[AfterSwap] | None = None,
) -> list[PlanOutcome]:
    from bhq_migrate.migrate import online_apply

    warnings = [] if warnings is None else warnings
    done_online = [] if done_online is None else done_online
    in_progress = {} if in_progress is None else in_progress
    after_swaps = [] if after_swaps is None else after_swaps

    def warn_once(text: str) -> None:
        if text not in warnings:
            warnings.append(text)
            on_event(Event(kind="warning", text=text))
    outside = [plan for plan in pending if not plan.transactional]
    if outside and options.single_transaction:
        raise BadPlan(f"plan {outside[0].filename} is not transactional (-- transactional: false) and cannot run "
                      f"with --single-transaction")
    batches = [pending] if options.single_transaction else [[plan] for plan in pending]
    outcomes: list[PlanOutcome] = []
    try:
        for batch in batches:
            if len(batch) == 1 and batch[0].id in in_progress and options.dry_run:
                # Its remaining steps include concurrent builds, which a rolled-back transaction cannot hold.
                progress = in_progress[batch[0].id].describe()
                on_event(Event(kind="warning", plan=batch[0].id, text=(
                    f"{batch[0].filename} is in progress ({progress}): a dry run skips it")))
                outcomes.append(PlanOutcome(id=batch[0].id, name=batch[0].name, status="not run (online dry run)"))
                continue
            if len(batch) == 1 and (batch[0].id in in_progress or (options.online and batch[0].transactional)):
                # Online, or a plan an online run left half-done (plain apply completes it the same way).
                outcome, run = online_apply.run_pending_plan(conn, batch[0], in_progress.get(batch[0].id), options,
                                                             on_event)
                outcomes.append(outcome)
                done_online += run.retyped
                after_swaps += run.after_swap
                continue
            if len(batch) == 1 and not batch[0].transactional:
                outcomes.append(_run_outside_transaction(conn, batch[0], options, on_event))
                continue
            if options.online_retype:
                # Planned again right before the batch: an earlier plan of this run may have added the column (003
                # retypes a column that 001 adds), and a table already swapped has nothing left to do.
                for retype in online.plan_online(conn, batch, options.online_min_rows, warn_once):
                    done_online.append(_retype_online(conn, batch[0].id, retype, options, on_event))

            def run_batch(attempt: int, plans: list[Plan] = batch) -> list[PlanOutcome]:
                _lock_up_front(conn, plans, options)
                return [_run_plan(conn, plan, options, on_event, attempt) for plan in plans]

            outcomes += _with_retries(conn, options, on_event, run_batch)
            if options.after_swap and not options.dry_run:  # the retyped tables' new result types have committed
                for plan in batch:
                    for key, table in result_type_tables([plan]):
                        online_apply.run_after_swap(plan.id, table, key, options, on_event, after_swaps)
    except BhqError as error:
        raise _naming_applied(error, outcomes) from None
    except psycopg.Error as exc:  # a timeout outside a plan (online planning), or the connection was lost
        raise _naming_applied(_server_failure(conn, exc), outcomes) from None
    except KeyboardInterrupt:  # the plan under way rolls back; the ones before it stay (exit 130 all the same)
        raise Interrupted(_applied_ids(outcomes)) from None
    return outcomes


def _applied_ids(outcomes: Sequence[PlanOutcome]) -> tuple[str, ...]:
    return tuple(outcome.id for outcome in outcomes if outcome.status == "applied")


def _server_failure(conn: Connection, exc: psycopg.Error) -> BhqError:
    if isinstance(exc, pg_errors.InsufficientPrivilege):
        return PermissionDenied(f"insufficient privileges: {_message(exc)}")
    return timeout_error(conn, exc) or PlanFailed(f"{_message(exc)}; the plan under way rolled back")


def _naming_applied(error: BhqError, outcomes: Sequence[PlanOutcome]) -> BhqError:
    """The failure, plus what this run did commit: never let "rolled back" read as "nothing applied"."""
    applied = _applied_ids(outcomes)
    error.applied = applied
    tail = (f"already applied and recorded in this run: {', '.join(applied)}" if applied
            else "no plan was applied in this run")
    error.args = (f"{error}; {tail}", *error.args[1:])
    return error


def _lock_up_front(conn: Connection, plans: Sequence[Plan], options: ApplyOptions) -> None:
    """Every table lock of this transaction, before its first statement (see locks.py)."""
    needed = locks.resolve(conn, locks.requested_locks(plans))
    try:
        locks.take(conn, needed, options.lock_timeout, options.statement_timeout)
    except psycopg.Error as exc:
        if not (is_timeout(exc) or isinstance(exc, pg_errors.DeadlockDetected)):
            raise
        raise _LockTimedOut(plans[0].id, f"{plans[0].filename}: taking the transaction's table locks up front", "",
                            tables=[lock.table for lock in needed]) from None


def _with_retries(
    conn: Connection, options: ApplyOptions, on_event: EventSink, work: Callable[[int], T], *, transaction: bool = True,
    kept: str | None = None,
) -> T:
    """Run ``work(attempt)`` (in a transaction unless told otherwise); on a lock timeout or deadlock roll back,
    wait with exponential backoff, try again, and finally fail naming the sessions in the way."""
    attempt = 0
    while True:
        attempt += 1
        try:
            with conn.transaction() if transaction else contextlib.nullcontext():
                return work(attempt)
        except _LockTimedOut as timed_out:
            if attempt > options.retries:
                kept = kept or ("rolled back" if transaction else (
                    "earlier statements of this non-transactional plan stay applied"))
                raise LockTimeout(
                    f"{timed_out.where}: could not get a lock within lock_timeout={options.lock_timeout} after "
                    f"{attempt} attempt(s); {kept}; {timed_out.describe(conn)}"
                ) from None
            pause = options.retry_backoff * (2 ** (attempt - 1))
            on_event(Event(kind="retry", plan=timed_out.plan_id, text=(
                f"lock timeout at {timed_out.where}; rolled back, retry {attempt}/{options.retries} in {pause:g} s")))
            time.sleep(pause)


def _retype_online(
    conn: Connection, plan_id: str, retype: TableRetype, options: ApplyOptions, on_event: EventSink
) -> OnlineRetype:
    """One table's online retype, before its plan's transaction. Every step is a short transaction under
    lock_timeout, retried like a plan; a failure leaves a resumable state (see online.py)."""
    blocker_probe = f"UPDATE {retype.relation.as_string(None)} SET x = 1"  # names the table for describe_blockers

    def retrying(work: Callable[[], T], where: str) -> T:
        def attempt(_attempt: int) -> T:
            try:
                return work()
            except (pg_errors.LockNotAvailable, pg_errors.DeadlockDetected):
                raise _LockTimedOut(plan_id, where, blocker_probe) from None
            except psycopg.Error as exc:
                raise PlanFailed(
                    f"{where}: {_message(exc)}; the plan was not started. Rerun apply --online-retype to resume, "
                    f"or plain apply, which removes the shadow columns and rewrites the table itself") from None
        return _with_retries(conn, options, on_event, attempt, kept=(
            "this step rolled back, the online steps before it stay, the plan was not started; rerun apply "
            "--online-retype to resume"))

    def progress(text: str, batch: int, batches: int) -> None:
        on_event(Event(kind="online", plan=plan_id, statement=batch, total=batches, text=text))

    done = online.retype_online(conn, retype, options.online_batch_rows, retrying, progress).model_copy(
        update={"plan": plan_id})
    progress(f"{done.table}: {', '.join(done.columns)} now bigint ({done.rows_backfilled:,} rows copied in "
             f"{done.batches} batch(es), {done.duration_ms / 1000:.2f} s)", 0, 0)
    return done


def _run_outside_transaction(conn: Connection, plan: Plan, options: ApplyOptions, on_event: EventSink) -> PlanOutcome:
    """A ``-- transactional: false`` plan (e.g. CREATE INDEX CONCURRENTLY): each statement commits on its own.

    Such plans must be idempotent: if one stops half-way, the statements before the failure stay applied and a
    re-run repeats them. A concurrent index build that failed earlier leaves an INVALID index that
    ``IF NOT EXISTS`` would keep, so it is dropped (concurrently) before the build is tried again.
    """
    if options.dry_run:
        on_event(Event(kind="warning", plan=plan.id, text=f"{plan.filename} is not transactional: a dry run skips it"))
        return PlanOutcome(id=plan.id, name=plan.name, status="skipped (not transactional)")
    on_event(Event(kind="plan-start", plan=plan.id, total=len(plan.statements), text=plan.name))
    started = time.monotonic()
    changes: list[str] = []
    for statement in plan.statements:
        on_event(Event(kind="statement", plan=plan.id, statement=statement.index + 1, total=len(plan.statements),
                       text=_first_line(statement), elapsed=time.monotonic() - started))
        for invalid in invalid_indexes_rebuilt_by(conn, statement):
            on_event(Event(kind="warning", plan=plan.id, text=f"dropping INVALID index {invalid} left by an earlier "
                                                               f"failed build, before building it again"))
            conn.execute(sql.SQL("DROP INDEX CONCURRENTLY IF EXISTS {}").format(sql.SQL(invalid)))
        changes.append(_with_retries(conn, options, on_event, partial(_execute_attempt, conn, plan, statement),
                                     transaction=False))
    duration_ms = int((time.monotonic() - started) * 1000)
    with conn.transaction():
        history.ensure_history(conn)
        history.record(conn, plan, duration_ms)
        if options.record_prisma:
            _record_prisma(conn, plan, started)
    on_event(Event(kind="plan-done", plan=plan.id, total=len(plan.statements), elapsed=duration_ms / 1000))
    return PlanOutcome(id=plan.id, name=plan.name, duration_ms=duration_ms, statements=len(plan.statements),
                       attempts=1, status="applied", changes=changes)


def invalid_indexes_rebuilt_by(conn: Connection, statement: Statement) -> list[str]:
    """Qualified names of INVALID indexes that this ``CREATE INDEX CONCURRENTLY IF NOT EXISTS`` would keep."""
    names: list[str] = []
    node = statement.node  # the plan's own parse, shared with pre-flight and lint
    if isinstance(node, ast.IndexStmt) and node.concurrent and node.if_not_exists and node.idxname:
        schema = node.relation.schemaname or "public"
        qualified = sql.Identifier(schema, node.idxname).as_string(None)
        row = conn.execute(
            "SELECT NOT i.indisvalid FROM pg_catalog.pg_index AS i WHERE i.indexrelid = to_regclass(%s)",
            (qualified,),
        ).fetchone()
        if row and row[0]:
            names.append(qualified)
    return names


class _LockTimedOut(Exception):
    """A lock wait that ended the attempt. The sessions in the way are named by ``blockers`` (e.g. every ACCESS
    EXCLUSIVE holder), else as the holders of locks on ``tables`` (quoted names), else on the tables
    ``statement_sql`` names."""

    def __init__(self, plan_id: str, where: str, statement_sql: str, *, tables: list[str] | None = None,
                 blockers: Callable[[Connection], str] | None = None) -> None:
        super().__init__(where)
        self.plan_id, self.where, self.statement_sql = plan_id, where, statement_sql
        self.tables, self.blockers = tables, blockers

    def describe(self, conn: Connection) -> str:
        if self.blockers is not None:
            return self.blockers(conn)
        if self.tables is not None:
            return f"blocked by {describe_table_blockers(conn, self.tables)}"
        return f"blocked by {describe_blockers(conn, self.statement_sql)}"


def _run_plan(conn: Connection, plan: Plan, options: ApplyOptions, on_event: EventSink, attempt: int) -> PlanOutcome:
    on_event(Event(kind="plan-start", plan=plan.id, total=len(plan.statements), text=plan.name))
    started = time.monotonic()
    # An interrupted --online-retype may have left shadow columns and a copy trigger on a table this plan is
    # about to rewrite itself: drop them in the plan's transaction, so they go exactly when the plan commits.
    changes = online.drop_leftovers(
        conn, [plan], lambda text: on_event(Event(kind="warning", plan=plan.id, text=text)))
    for statement in plan.statements:
        on_event(Event(kind="statement", plan=plan.id, statement=statement.index + 1, total=len(plan.statements),
                       text=_first_line(statement), elapsed=time.monotonic() - started))
        changes.append(_execute(conn, plan, statement))
    duration_ms = int((time.monotonic() - started) * 1000)
    history.ensure_history(conn)
    history.record(conn, plan, duration_ms)
    if options.record_prisma:
        _record_prisma(conn, plan, started)
    on_event(Event(kind="plan-done", plan=plan.id, total=len(plan.statements), elapsed=duration_ms / 1000))
    return PlanOutcome(
        id=plan.id, name=plan.name, duration_ms=duration_ms, statements=len(plan.statements), attempts=attempt,
        status="rolled-back (dry run)" if options.dry_run else "applied", changes=changes,
    )


def _execute_attempt(conn: Connection, plan: Plan, statement: Statement, _attempt: int) -> str:
    return _execute(conn, plan, statement)


def _execute(conn: Connection, plan: Plan, statement: Statement) -> str:
    where = f"{plan.path.name}:{statement.line}"
    try:
        with conn.cursor() as cur:
            cur.execute(cast("Any", statement.sql))
            tag = cur.statusmessage or ""
            return f"{where}: {tag}{f' ({cur.rowcount} rows)' if cur.rowcount and cur.rowcount > 0 else ''}"
    except (pg_errors.LockNotAvailable, pg_errors.DeadlockDetected):
        # Both mean "someone else holds what we need": the plan is rolled back whole and retried.
        raise _LockTimedOut(plan.id, where, statement.sql) from None
    except pg_errors.QueryCanceled as exc:
        raise PlanFailed(f"{where}: {_message(exc)} (statement_timeout?); plan {plan.id} rolled back") from None
    except psycopg.Error as exc:
        raise PlanFailed(f"{where}: {_message(exc)}; plan {plan.id} rolled back") from None


def _record_prisma(conn: Connection, plan: Plan, started: float) -> None:
    from datetime import datetime, timedelta, timezone

    from bhq_migrate.prisma.migrations import ensure_prisma_migrations_table, record_prisma_migration

    finished_at = datetime.now(timezone.utc)
    started_at = finished_at - timedelta(seconds=time.monotonic() - started)
    ensure_prisma_migrations_table(conn)
    record_prisma_migration(conn, plan, started_at, finished_at)


def _message(exc: psycopg.Error) -> str:
    diag = exc.diag
    text = diag.message_primary or str(exc).strip().splitlines()[0]
    return f"{diag.sqlstate or 'error'}: {text}" + (f" ({diag.message_detail})" if diag.message_detail else "")


def _first_line(statement: Statement) -> str:
    line = " ".join(statement.sql.split())
    return line if len(line) <= 90 else line[:87] + "..."


__all__ = [
    "ApplyOptions", "ApplyResult", "Event", "OnlineRetype", "PlanOutcome", "PreflightProblem", "apply", "plan_states",
    "select_plans",
]
