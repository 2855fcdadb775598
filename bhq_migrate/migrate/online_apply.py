"""Running a plan's steps (steps.py) one by one, with progress recorded in ``bhq_migrate.steps``.

* When a plan starts, its steps are stored (as derived then: a resumed run repeats exactly these steps, even
  though the catalog has changed since). Each step is marked done as it completes: in the step's own
  transaction for ``catalog``, ``validate`` and ``blocking`` steps, so they are done exactly once; after the
  statement for the steps that cannot run in a transaction (``index``, ``drop-index``) and for ``retype``,
  which are idempotent: a concurrent build killed half-way leaves an INVALID index that is dropped
  (concurrently) and rebuilt; a retype resumes its backfill and finds a finished swap already done.
* The plan's history row is written, and its step rows deleted, in one transaction after the last step.
* Catalog steps wait for a lock at most the online ``lock_timeout`` (default 500ms), so nothing queues behind
  them for longer; they are retried with backoff and finally fail naming the blocking sessions. Steps whose
  lock blocks no reader or writer (``index``, ``drop-index``, ``validate``: SHARE UPDATE EXCLUSIVE) may wait up
  to ``statement_timeout`` for their lock, because a concurrent index build must wait for every transaction
  older than itself and a long report query would otherwise make it fail again and again.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg import sql
from pydantic import BaseModel

from bhq_migrate.catalog import Catalog
from bhq_migrate.errors import BlockingRefused, DuplicateKeys, PlanFailed
from bhq_migrate.migrate import checkpoints, history, online, online_copy
from bhq_migrate.migrate.blockers import cancel_autovacuum, statement_tables
from bhq_migrate.migrate.online import AfterSwap
from bhq_migrate.migrate.preflight import DUPLICATE_SAMPLE, find_duplicates, result_type_tables
from bhq_migrate.migrate.runner import (
    ApplyOptions,
    Event,
    EventSink,
    PlanOutcome,
    _LockTimedOut,
    _message,
    _record_prisma,
    _with_retries,
)
from bhq_migrate.migrate.steps import CopyCheck, PlanSteps, RetypeCheck, Step, blocking_holds, derive_all
from bhq_migrate.plans import Plan

Connection = psycopg.Connection[Any]


class OnlineRun(BaseModel):
    """What ``apply --online`` did to one plan beyond its outcome."""

    retyped: list[online.OnlineRetype] = []
    after_swap: list[AfterSwap] = []
    resumed_from: int = 0
    """0 for a fresh start, else the first step this run executed."""


def stored_steps(progress: history.PlanProgress) -> PlanSteps:
    steps = [Step.model_validate(row.definition) for row in progress.rows]
    return PlanSteps(plan=progress.plan_id, name="", steps=steps)


def run_plan(
    conn: Connection, plan: Plan, plan_steps: PlanSteps, options: ApplyOptions, on_event: EventSink,
    progress: history.PlanProgress | None, run: OnlineRun,
) -> PlanOutcome:
    """Run (or resume) ``plan`` step by step; returns its outcome once its history row has committed."""
    started = time.monotonic()
    total = len(plan_steps.steps)
    if progress is None:
        with conn.transaction():
            history.ensure_history(conn)
            history.ensure_steps(conn)
            history.start_steps(conn, plan, [(s.number, s.kind, s.summary(), s.model_dump(mode="json"))
                                             for s in plan_steps.steps])
        states = {s.number: "pending" for s in plan_steps.steps}
    else:
        states = {row.step: row.state for row in progress.rows}
        first = progress.next_step
        run.resumed_from = first.step if first else total
        on_event(Event(kind="warning", plan=plan.id, text=(
            f"plan {plan.id} was started by apply --online and stopped at step {run.resumed_from} of {total}; "
            "resuming there")))
    on_event(Event(kind="plan-start", plan=plan.id, total=total, text=plan.name))
    online_options = options.model_copy(update={"lock_timeout": options.online_lock_timeout})
    conn.execute("SELECT set_config('lock_timeout', %s, false)", (online_options.lock_timeout,))
    _maintenance_settings(conn, options)
    try:
        _run_steps(conn, plan, plan_steps, states, online_options, on_event, run, started)
    finally:
        if not conn.closed and conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
            conn.execute("SELECT set_config('lock_timeout', %s, false)", (options.lock_timeout,))
    duration_ms = int((time.monotonic() - started) * 1000)
    with conn.transaction():
        history.record(conn, plan, duration_ms)
        history.forget_steps(conn, plan.id)
        if options.record_prisma:
            _record_prisma(conn, plan, started)
        checkpoints.reached(f"{plan.id} history before commit")
    on_event(Event(kind="plan-done", plan=plan.id, total=total, elapsed=duration_ms / 1000))
    return PlanOutcome(id=plan.id, name=plan.name, duration_ms=duration_ms, statements=len(plan.statements),
                       attempts=1, status="applied", changes=[s.summary() for s in plan_steps.steps])


def _maintenance_settings(conn: Connection, options: ApplyOptions) -> None:
    """This session's settings for its index builds, validations and vacuums (the application's sessions keep
    theirs). Parallel workers are capped for queries too: a foreign key's validation is a join that PostgreSQL
    runs in parallel by default, taking every core for its duration."""
    _raise_maintenance_work_mem(conn, options.online_maintenance_work_mem)
    for setting in ("max_parallel_maintenance_workers", "max_parallel_workers_per_gather"):
        conn.execute("SELECT set_config(%s, %s, false)", (setting, str(options.online_parallel_workers)))


def _raise_maintenance_work_mem(conn: Connection, wanted: str) -> None:
    """The session's maintenance_work_mem up to ``wanted`` for its index builds, never down from the server's.

    Only this session's setting, for the rest of its life (the apply): a sort that fits does not spill to disk,
    which shortens each concurrent build, and so the time the table carries a build's extra work."""
    conn.execute("SELECT set_config('maintenance_work_mem', %(wanted)s, false) "
                 "WHERE pg_catalog.pg_size_bytes(current_setting('maintenance_work_mem')) "
                 "< pg_catalog.pg_size_bytes(%(wanted)s)", {"wanted": wanted.replace(" ", "")})


def _run_steps(conn: Connection, plan: Plan, plan_steps: PlanSteps, states: dict[int, str], options: ApplyOptions,
               on_event: EventSink, run: OnlineRun, started: float) -> None:
    total = len(plan_steps.steps)
    for step in plan_steps.steps:
        if states.get(step.number) == "done":
            continue
        label = f"{plan.id}/{step.number}"
        checkpoints.reached(f"{label} start")
        on_event(Event(kind="online", plan=plan.id, statement=0, total=0,
                       text=f"{plan.id} step {step.number}/{total}: {step.summary()}"))
        on_event(Event(kind="statement", plan=plan.id, statement=step.number, total=total, text=step.summary(),
                       elapsed=time.monotonic() - started))
        runner = _RUNNERS[step.kind]
        tables = _step_tables(step)
        clear_way = _clear_way(conn, plan.id, tables, on_event)
        if step.kind != "retype":  # the retype clears the way itself, only before its parts that need it
            clear_way()
        checkpoints.reached(f"{label} way cleared")
        runner(conn, plan, step, total, states.get(step.number, "pending"), options,
               _yielding_vacuum(conn, tables, on_event), run)
        checkpoints.reached(f"{label} done")


def _step_tables(step: Step) -> list[str]:
    tables = [sql.Identifier(step.schema_name, step.table_name).as_string(None)] if step.table_name else []
    for statement in step.sql:
        tables += statement_tables(statement)
    return tables


def _clear_way(conn: Connection, plan_id: str, tables: list[str], on_event: EventSink) -> Callable[[], None]:
    """Cancels a (non-wraparound) autovacuum holding a lock on ``tables`` (blockers.cancel_autovacuum), called
    before a step, or a part of a retype, takes a lock that conflicts with it (every lock a step takes but the
    backfill's ROW EXCLUSIVE does). PostgreSQL itself cancels such an autovacuum, but only once a lock request
    has waited ``deadlock_timeout`` (1 s): a catalog step would meanwhile make every query on the table queue
    behind it for its whole lock_timeout, and a concurrent build would wait that second for nothing."""
    def clear() -> None:
        if conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
            for text in cancel_autovacuum(conn, tables):
                on_event(Event(kind="warning", plan=plan_id, text=f"autovacuum in the way: {text}"))

    return clear


def _yielding_vacuum(conn: Connection, tables: list[str], on_event: EventSink) -> EventSink:
    """Passes events on; before each retry of a step, cancels an autovacuum in its way (see _clear_way): the
    retry comes after the failed attempt's rollback, so the session is free."""
    def sink(event: Event) -> None:
        on_event(event)
        if event.kind == "retry":
            _clear_way(conn, event.plan, tables, on_event)()

    return sink


StepRunner = Callable[[Connection, Plan, Step, int, str, ApplyOptions, EventSink, OnlineRun], None]


def _where(plan: Plan, step: Step, total: int) -> str:
    lines = f" (line {', '.join(str(line) for line in step.lines)})" if step.lines else ""
    return f"{plan.filename} step {step.number} of {total}{lines}"


def _failed(plan: Plan, step: Step, total: int, exc: psycopg.Error) -> PlanFailed:
    kept = "the steps before it stay applied" if step.number > 1 else "nothing was changed"
    return PlanFailed(f"{_where(plan, step, total)}: {_message(exc)}; this step rolled back, {kept}; fix the cause "
                      f"and rerun apply (--online or plain) to resume at this step")


def _in_transaction(conn: Connection, plan: Plan, step: Step, total: int, _state: str, options: ApplyOptions,
                    on_event: EventSink, _run: OnlineRun) -> None:
    """catalog, validate and blocking steps: the statements and the step's 'done' mark in one transaction."""
    def attempt(_attempt: int) -> None:
        for statement in step.sql:
            try:
                conn.execute(statement)  # plan text, parsed by PostgreSQL's parser
            except (pg_errors.LockNotAvailable, pg_errors.DeadlockDetected):
                raise _LockTimedOut(plan.id, _where(plan, step, total), statement) from None
            except psycopg.Error as exc:
                raise _failed(plan, step, total, exc) from None
        history.mark_step(conn, plan.id, step.number, "done")
        checkpoints.reached(f"{plan.id}/{step.number} before commit")

    kept = ("this step rolled back, the steps before it stay applied; rerun apply (--online or plain) to resume "
            "at this step")
    if step.kind == "validate":
        with _patient(conn, options):
            _with_retries(conn, options, on_event, attempt, kept=kept)
    else:
        _with_retries(conn, options, on_event, attempt, kept=kept)


class _patient:
    """For steps whose lock blocks no reader or writer: wait for it up to statement_timeout (see module doc)."""

    def __init__(self, conn: Connection, options: ApplyOptions) -> None:
        self.conn, self.options = conn, options

    def __enter__(self) -> None:
        self.conn.execute("SELECT set_config('lock_timeout', %s, false)", (self.options.statement_timeout,))

    def __exit__(self, *exc: object) -> None:
        if not self.conn.closed and self.conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
            self.conn.execute("SELECT set_config('lock_timeout', %s, false)", (self.options.lock_timeout,))


def _index_state(conn: Connection, step: Step) -> bool | None:
    """None: no such index; else whether it is valid."""
    row = conn.execute(
        "SELECT i.indisvalid FROM pg_catalog.pg_index AS i WHERE i.indexrelid = to_regclass(%s)",
        (sql.Identifier(step.schema_name, step.index_name).as_string(conn),)).fetchone()
    return None if row is None else bool(row[0])


def _drop_index(conn: Connection, step: Step) -> None:
    conn.execute(sql.SQL("DROP INDEX CONCURRENTLY IF EXISTS {}").format(
        sql.Identifier(step.schema_name, step.index_name)))


def _index(conn: Connection, plan: Plan, step: Step, total: int, state: str, options: ApplyOptions,
           on_event: EventSink, _run: OnlineRun) -> None:
    """CREATE [UNIQUE] INDEX CONCURRENTLY, outside a transaction."""
    valid = _index_state(conn, step)
    if valid and step.on_copy:
        on_event(Event(kind="online", plan=plan.id, statement=0, total=0, text=(
            f"index {step.index_name} was built on the copy of {step.table} by step {step.on_copy}")))
        history.mark_step(conn, plan.id, step.number, "done")
        return
    if valid is False:
        on_event(Event(kind="warning", plan=plan.id, text=(
            f"dropping INVALID index {step.index_name} left by an earlier failed or killed build, before building "
            "it again")))
        with _patient(conn, options):
            _drop_index(conn, step)
        valid = None
    if valid and state == "started":
        on_event(Event(kind="warning", plan=plan.id, text=(
            f"index {step.index_name} was built before the previous run stopped; not building it again")))
    else:
        history.mark_step(conn, plan.id, step.number, "started")
        checkpoints.reached(f"{plan.id}/{step.number} before build")

        def build(_attempt: int) -> None:
            try:
                conn.execute(step.sql[0])
            except (pg_errors.LockNotAvailable, pg_errors.DeadlockDetected):
                _drop_invalid(conn, step, options)
                raise _LockTimedOut(plan.id, _where(plan, step, total), step.sql[0]) from None
            except pg_errors.UniqueViolation:
                _drop_invalid(conn, step, options)
                raise _duplicates(conn, plan, step, total) from None
            except psycopg.Error as exc:
                _drop_invalid(conn, step, options)
                raise _failed(plan, step, total, exc) from None

        with _patient(conn, options):
            _with_retries(conn, options, on_event, build, transaction=False, kept=(
                "the INVALID index was dropped, the steps before it stay applied; rerun apply to resume at this "
                "step"))
        checkpoints.reached(f"{plan.id}/{step.number} index built")
    history.mark_step(conn, plan.id, step.number, "done")


def _drop_invalid(conn: Connection, step: Step, options: ApplyOptions) -> None:
    if _index_state(conn, step) is False:
        with _patient(conn, options):
            _drop_index(conn, step)


def _duplicates(conn: Connection, plan: Plan, step: Step, total: int) -> DuplicateKeys:
    """A unique build failed on a duplicate (inserted during the build, since pre-flight found none)."""
    from pglast import ast, parse_sql
    from pglast.stream import RawStream

    node = parse_sql(step.sql[0])[0].stmt
    assert isinstance(node, ast.IndexStmt)
    columns = [param.name for param in node.indexParams or () if param.name]
    predicate = RawStream()(node.whereClause) if node.whereClause is not None else None
    has_id = conn.execute(
        "SELECT EXISTS (SELECT FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass(%s) AND attname = 'id' "
        "AND NOT attisdropped)", (sql.Identifier(step.schema_name, step.table_name).as_string(conn),)).fetchone()
    if len(columns) != len(node.indexParams or ()):
        listed = "(an expression index: run its key expression in a GROUP BY ... HAVING count(*) > 1 to find them)"
        count = "some"
    else:
        found = find_duplicates(conn, (step.schema_name, step.table_name), columns, predicate,
                                bool(has_id and has_id[0]))
        shown = ", ".join(f'"{c}"' for c in columns)
        listed = "; ".join(f"({shown}) = ({', '.join(str(v) for v in values)}): {rows} rows"
                           + (f" (ids {', '.join(str(i) for i in ids)})" if ids else "")
                           for values, rows, ids in found) or "none any more (removed meanwhile): rerun apply"
        count = f"{len(found)}{'+' if len(found) >= DUPLICATE_SAMPLE else ''}"
    return DuplicateKeys(
        f"{_where(plan, step, total)}: unique index {step.index_name} on {step.table} could not be built: "
        f"{count} duplicate key(s) written while it was being built: {listed}. The INVALID index was dropped; "
        "merge or soft-delete the duplicates, then rerun apply to resume at this step")


def _drop_index_step(conn: Connection, plan: Plan, step: Step, total: int, _state: str, options: ApplyOptions,
                     on_event: EventSink, _run: OnlineRun) -> None:
    def drop(_attempt: int) -> None:
        try:
            conn.execute(step.sql[0])
        except (pg_errors.LockNotAvailable, pg_errors.DeadlockDetected):
            raise _LockTimedOut(plan.id, _where(plan, step, total), step.sql[0]) from None
        except psycopg.Error as exc:
            raise _failed(plan, step, total, exc) from None

    with _patient(conn, options):
        _with_retries(conn, options, on_event, drop, transaction=False)
    history.mark_step(conn, plan.id, step.number, "done")


def _retype(conn: Connection, plan: Plan, step: Step, total: int, state: str, options: ApplyOptions,
            on_event: EventSink, run: OnlineRun) -> None:
    key = (step.schema_name, step.table_name)
    retype, reason = online.table_retype(conn, key, list(step.columns))
    source = _read_copy(conn, retype) if retype is not None else None  # read once, used twice below
    copied = source is not None and not source.blockers
    if reason is not None and retype is not None and retype.only_columns_refuse and copied:
        reason = None  # the copy rebuilds what depends on the columns
    if reason is not None:
        raise PlanFailed(f"{_where(plan, step, total)}: {step.table} can no longer be retyped online: {reason}; the "
                         f"steps before it stay applied. Remove the cause and rerun apply --online, or rerun with "
                         f"--allow-blocking after re-planning")
    where = f"{plan.filename} step {step.number} of {total}"
    history.mark_step(conn, plan.id, step.number, "started")
    locked = [sql.Identifier(*key).as_string(None)]  # the tables a lock timeout reports the holders of

    def retrying(work: Callable[[], Any], what: str) -> Any:
        def attempt(_attempt: int) -> Any:
            try:
                return work()
            except (pg_errors.LockNotAvailable, pg_errors.DeadlockDetected):
                probe = "; ".join(f"UPDATE {table} SET x = 1" for table in locked)  # names them for the report
                raise _LockTimedOut(plan.id, f"{where}: {what}", probe) from None
            except psycopg.Error as exc:
                raise PlanFailed(f"{where}: {what}: {_message(exc)}; the steps before it stay applied; rerun "
                                 f"apply (--online or plain) to resume at this step") from None
        return _with_retries(conn, options, on_event, attempt, kept=(
            "this part rolled back, the work before it stays; rerun apply to resume"))

    def report(text: str, batch: int, batches: int) -> None:
        on_event(Event(kind="online", plan=plan.id, statement=batch, total=batches, text=text))

    def after_swap() -> None:
        _after_swap(plan, step.table or "", key, options, on_event, run)

    clear_way = _clear_way(conn, plan.id, _step_tables(step), on_event)
    label = f"{plan.id}/{step.number}"
    deferred = step.validated_later
    if retype is None:  # swapped by an earlier run that stopped before marking the step done
        if state == "started":
            after_swap()
            online_copy.finish(conn, key, retrying, label=label)
            _vacuum_analyze(conn, plan, step, total, options, on_event, clear_way)
    else:
        if source is not None and source.blockers:
            _explain_shadow_columns(conn, source, report)
        if source is not None and copied:
            source.plan_columns = [(column, add) for column, add in step.copy_columns]
            source.plan_indexes = [(name, temp, create) for name, temp, create in step.copy_indexes]
            locked[:] = source.locked_tables()
            done = online_copy.copy_online(conn, source, options.online_batch_rows, retrying, report,
                                           batch_ms=options.online_batch_ms, label=label, clear_way=clear_way,
                                           pause=_pause(options.online_batch_pause_ms), after_swap=after_swap)
        else:
            done = online.retype_online(conn, retype, options.online_batch_rows, retrying, report,
                                        batch_ms=options.online_batch_ms, after_swap=after_swap, label=label,
                                        clear_way=clear_way, pause=_pause(options.online_batch_pause_ms))
            # Only the shadow columns' backfill leaves a dead version of every row behind. A copy was vacuumed
            # and analyzed before its swap (online_copy._vacuum_copy): its statistics moved with it, and a second
            # pass over the whole table would cost the application a second of CPU for nothing.
            _vacuum_analyze(conn, plan, step, total, options, on_event, clear_way)
        run.retyped.append(done.model_copy(update={"plan": plan.id}))
        how = "copied" if copied else "backfilled"
        report(f"{done.table}: {', '.join(done.columns)} now bigint ({done.rows_backfilled:,} rows {how} in "
               f"{done.batches} batch(es), {done.duration_ms / 1000:.2f} s)", 0, 0)
    # Step 6 of a copy, whatever path this step took: the keys its own swap added back NOT VALID, and those an
    # earlier copy left for it (shadow columns or a table already retyped add none), are validated here, once,
    # unless a later copy of the plan swaps them again.
    online_copy.validate_pending(conn, retrying, report, label=label, deferred=deferred)
    history.mark_step(conn, plan.id, step.number, "done")


def _read_copy(conn: Connection, retype: online.TableRetype) -> online_copy.TableCopy | None:
    """What a copy of the table would carry over and what stops it (online_copy.read_source); None when an
    earlier run started shadow columns on the table (finished the same way) or the table is gone."""
    if online.has_shadow_columns(conn, retype.table):
        return None
    return online_copy.read_source(conn, retype.table, retype.key, [c.name for c in retype.columns])


def _explain_shadow_columns(conn: Connection, source: online_copy.TableCopy,
                            report: Callable[[str, int, int], None]) -> None:
    """The table gets shadow columns because the copy cannot carry it: say why, and drop a copy an earlier run
    started before the blocker appeared."""
    if online_copy.copy_exists(conn, source.table):
        with conn.transaction():
            online_copy.drop_copy(conn, source.table)
    report(f"{source.display}: shadow columns instead of a copy of the table, because of "
           f"{'; '.join(source.blockers)}", 0, 0)


def _pause(milliseconds: float) -> Callable[[], None] | None:
    """--online-batch-pause-ms: a rest after each copy, catch-up or backfill transaction (pgroll's
    --backfill-batch-delay)."""
    if milliseconds <= 0:
        return None
    return partial(time.sleep, milliseconds / 1000)


def _vacuum_analyze(conn: Connection, plan: Plan, step: Step, total: int, options: ApplyOptions,
                    on_event: EventSink, clear_way: Callable[[], None]) -> None:
    """After the swap: ``VACUUM (ANALYZE)`` of the table, with statistics for the swapped columns.

    The backfill left a dead version of every row, and their index entries: until a vacuum removes them, every
    index scan of the application visits both versions, and every later step's scan (the concurrent builds,
    the validations) reads them too. Autovacuum would get there, throttled, and each later step on the table
    cancels it (_clear_way). Run here, at full speed, it takes SHARE UPDATE EXCLUSIVE, which blocks no reader or
    writer; ``TRUNCATE false`` keeps it from taking ACCESS EXCLUSIVE to cut the table's empty tail."""
    columns = sql.SQL(", ").join(sql.Identifier(c) for c in step.columns)
    statement = sql.SQL("VACUUM (ANALYZE, TRUNCATE false) {} ({})").format(
        sql.Identifier(step.schema_name, step.table_name), columns)

    def attempt(_attempt: int) -> None:
        try:
            conn.execute(statement)
        except (pg_errors.LockNotAvailable, pg_errors.DeadlockDetected):
            raise _LockTimedOut(plan.id, _where(plan, step, total), statement.as_string(conn)) from None
        except psycopg.Error as exc:
            raise _failed(plan, step, total, exc) from None

    clear_way()
    with _patient(conn, options):
        _with_retries(conn, options, on_event, attempt, transaction=False)
    checkpoints.reached(f"{plan.id}/{step.number} vacuumed")


def _after_swap(plan: Plan, table: str, key: tuple[str, str], options: ApplyOptions, on_event: EventSink,
                run: OnlineRun) -> None:
    run_after_swap(plan.id, table, key, options, on_event, run.after_swap)


def run_after_swap(plan_id: str, table: str, key: tuple[str, str], options: ApplyOptions, on_event: EventSink,
                   runs: list[AfterSwap]) -> None:
    """``--after-swap CMD``: right after a table's result types changed (swap or plan commit). Its exit code is
    reported; a failure does not undo the swap, which has committed."""
    if not options.after_swap:
        return
    env = {**os.environ, "BHQ_MIGRATE_TABLE": table, "BHQ_MIGRATE_SCHEMA": key[0], "BHQ_MIGRATE_TABLE_NAME": key[1],
           "BHQ_MIGRATE_PLAN": plan_id}
    try:
        # Its output goes to stderr: stdout carries apply's own result (JSON with --format json).
        code = subprocess.run(options.after_swap, shell=True, env=env, timeout=options.after_swap_timeout,
                              check=False, stdout=sys.stderr, stdin=subprocess.DEVNULL).returncode
    except subprocess.TimeoutExpired:
        code = -1
    runs.append(AfterSwap(plan=plan_id, table=table, exit_code=code))
    text = f"--after-swap for {table} exited with {code}" if code != -1 else (
        f"--after-swap for {table} did not finish within {options.after_swap_timeout:g} s and was stopped")
    on_event(Event(kind="warning" if code else "online", plan=plan_id, text=text))


_RUNNERS: dict[str, StepRunner] = {
    "catalog": _in_transaction,
    "validate": _in_transaction,
    "blocking": _in_transaction,
    "index": _index,
    "drop-index": _drop_index_step,
    "retype": _retype,
}


def read_lint_catalog(conn: Connection) -> Catalog:
    """What lint's analysis reads (tables with sizes, columns, indexes, constraints), as lint reads it."""
    from bhq_migrate.catalog import read_catalog
    from bhq_migrate.lint.schema import CATALOG_PARTS

    return read_catalog(conn, CATALOG_PARTS)


def _copy_takes(conn: Connection, retype: online.TableRetype) -> bool:
    """Whether a table the shadow columns refuse only because of the columns themselves can be copied."""
    if not retype.only_columns_refuse:
        return False
    source = _read_copy(conn, retype)
    return source is not None and not source.blockers


def retype_checks(conn: Connection) -> tuple[RetypeCheck, CopyCheck]:
    """For step derivation: whether a retype can be done online, and whether it copies the table."""
    def check(table: tuple[str, str], columns: list[str]) -> str | None:
        retype, reason = online.table_retype(conn, table, columns)
        return None if reason is None or (retype is not None and _copy_takes(conn, retype)) else reason

    def not_copied(table: tuple[str, str]) -> str | None:
        source = online_copy.read_source(conn, table, "", [])  # None: created by an earlier plan, decided then
        return "; ".join(source.blockers) if source is not None and source.blockers else None

    return check, not_copied


def _catalog_and_check(conn: Connection) -> tuple[Any, RetypeCheck, CopyCheck]:
    return read_lint_catalog(conn), *retype_checks(conn)


def plan_steps(conn: Connection, pending: list[Plan], in_progress: dict[str, history.PlanProgress],
               options: ApplyOptions) -> list[PlanSteps]:
    """Read-only: the steps each pending plan will run (stored ones for plans in progress). Without ``--online``
    only the plans in progress have steps. Refuses (BlockingRefused) a blocking step unless allowed."""
    fresh = [p for p in pending if p.id not in in_progress and p.transactional] if options.online else []
    derived: dict[str, PlanSteps] = {}
    if fresh:
        catalog, check, copy_check = _catalog_and_check(conn)
        derived = {steps.plan: steps for steps in derive_all(fresh, catalog, check, copy_check)}
    for plan_id, progress in in_progress.items():
        derived[plan_id] = stored_steps(progress)
    ordered = [derived[p.id].model_copy(update={"name": p.name}) for p in pending if p.id in derived]
    if options.online:
        refuse_blocking([steps for steps in ordered if steps.plan not in in_progress], options)
    return ordered


def refuse_blocking(planned: list[PlanSteps], options: ApplyOptions) -> None:
    blocking = [(steps.plan, step) for steps in planned for step in steps.blocking]
    if not blocking or options.allow_blocking:
        return
    listed = "; ".join(
        f"plan {plan} line {', '.join(map(str, step.lines))}: {step.description} takes {step.lock or 'unknown locks'}"
        f"{f' on {step.table}' if step.table else ''}"
        f"{f' (~{step.estimated_rows:,} rows, {step.total_bytes / 2**20:,.1f} MiB)' if step.total_bytes else ''}"
        f" for as long as it runs: {step.reason}" for plan, step in blocking)
    raise BlockingRefused(
        f"apply --online refuses {len(blocking)} statement(s) it cannot make non-blocking, before changing "
        f"anything: {listed}. Rewrite them, or accept the locks with --allow-blocking", [s for _, s in blocking])


def run_pending_plan(conn: Connection, plan: Plan, progress: history.PlanProgress | None, options: ApplyOptions,
                     on_event: EventSink) -> tuple[PlanOutcome, OnlineRun]:
    """Derive the plan's steps now (the catalog as earlier plans of this run left it), or take the stored ones of
    a plan in progress, and run them."""
    run = OnlineRun()
    if progress is not None:
        steps = stored_steps(progress)
    else:
        catalog, check, copy_check = _catalog_and_check(conn)
        steps = derive_all([plan], catalog, check, copy_check)[0]
        refuse_blocking([steps], options)
    return run_plan(conn, plan, steps, options, on_event, progress, run), run


class Advice(BaseModel):
    recommendations: list[str] = []
    result_type_changes: list[str] = []


def advice(conn: Connection, pending: list[Plan], in_progress: dict[str, history.PlanProgress],
           planned: list[PlanSteps], options: ApplyOptions) -> Advice:
    """What apply says before it starts: result types that change, and when --online would be better."""
    fresh = [plan for plan in pending if plan.id not in in_progress]
    changes = [table for _key, table in result_type_tables(fresh)]  # pre-flight's warning says what to do
    recommendations: list[str] = []
    if not options.online and fresh:
        for hold in blocking_holds(fresh, read_lint_catalog(conn)):
            if hold.seconds > options.blocking_threshold:
                recommendations.append(
                    f"plan {hold.plan} would hold {hold.lock} on {hold.table} for about {hold.seconds:,.1f} s "
                    f"(estimated from its size in the catalog), stopping its writers meanwhile; apply --online keeps "
                    f"every blocking lock to a catalog change of milliseconds")
    return Advice(recommendations=recommendations, result_type_changes=changes)
