"""``plan --trace``: run the pending statements on a scratch copy of the database and compare what PostgreSQL
actually did (locks in ``pg_locks``, rewrites seen as a new ``pg_class.relfilenode``) with lint's prediction.

The scratch database is

* a ``CREATE DATABASE ... TEMPLATE <target>`` clone when the target is at most ``clone_max_bytes`` and no other
  session is connected to it (PostgreSQL refuses a template that has users; we close our own connection and
  issue CREATE DATABASE from the ``postgres`` maintenance database, after idle bhq-migrate sessions, most
  often our own still exiting, had a few seconds to go); otherwise
* a schema-only copy, ``pg_dump --schema-only`` piped into ``psql`` (the binaries on PATH, or the newest
  under /usr/lib/postgresql/*/bin). Tables are empty there, so row counts and durations come from the live
  catalog (the plan report), not from the trace.

Each statement runs in its own transaction and, while it is open, we read the relation locks our backend
holds and the relfilenodes of every relation that existed before; then the transaction is ROLLED BACK,
always. So that the next statement finds the objects earlier ones create, the statement is then applied
to the scratch copy on its own (committed: the copy is dropped at the end anyway). Statements PostgreSQL
refuses inside a transaction block (CONCURRENTLY, VACUUM) are not traced, only applied. The scratch
database is dropped in a ``finally``, also when something failed.

Verdicts: **Confirmed** (each table lint predicted a lock on was locked in exactly that strongest mode, no
other existing table was locked more strongly than ROW EXCLUSIVE, and a predicted rewrite happened, or a
predicted non-rewrite did not), **Mismatch** (anything else: a bug in the lint ACTIONS table), **Trace-only**
(lint has no prediction: dynamic SQL, effect ``unknown``), **not traced** (runs outside a transaction), or
**not run** (the statement failed on the scratch copy; the error says why), or **no-op** (an
``IF [NOT] EXISTS`` statement that found nothing to do and locked nothing, so there is nothing to compare).
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import uuid
from importlib import resources
from pathlib import Path
from time import monotonic, sleep
from typing import TYPE_CHECKING, Any, cast

import psycopg
from psycopg import conninfo as pg_conninfo
from psycopg import errors as pg_errors
from psycopg import sql
from pydantic import BaseModel

from bhq_migrate.connection import SessionLimits, connect, with_dbname
from bhq_migrate.errors import BhqError
from bhq_migrate.lint.analysis import LockMode, display_name
from bhq_migrate.migrate.forecast import lock_mode_from_pg

if TYPE_CHECKING:
    from bhq_migrate.migrate.plan_report import PlanReport, StatementPlan

DEFAULT_CLONE_MAX_BYTES = 1024**3
EXITING_SESSION_WAIT_S = 5.0
"""How long an idle bhq-migrate session connected to the database may take to go before the trace stops
waiting for it and makes a schema-only copy (PostgreSQL's own CREATE DATABASE waits 5 s for users to leave)."""
EXITING_SESSION_POLL_S = 0.02
CONFIRMED, MISMATCH, TRACE_ONLY = "Confirmed", "Mismatch", "Trace-only"
NOT_TRACED, NOT_RUN = "not traced (runs outside a transaction)", "not run"
NO_OP = "no-op"
_IF_EXISTS = re.compile(r"\bIF\s+(NOT\s+)?EXISTS\b", re.IGNORECASE)
_UNPREDICTED_LIMIT = LockMode.ROW_EXCLUSIVE
"""Locks up to ROW EXCLUSIVE on tables lint did not name are normal (FK checks, reads) and not a mismatch."""


class TraceImpossible(BhqError):
    """No scratch database could be made: the message starts with 'trace not possible:'."""


class ObservedLock(BaseModel):
    table: str
    mode: str
    created: bool = False
    """The relation did not exist before the statement (a table, index or sequence it created)."""


class StatementTrace(BaseModel):
    verdict: str
    locks: list[ObservedLock] = []
    """Strongest relation lock per table or index the statement held, as pg_locks showed it."""
    rewritten: list[str] = []
    """Existing tables and indexes whose relfilenode changed."""
    reasons: list[str] = []
    """Why a Mismatch, or the error of a statement that did not run."""


class TraceSummary(BaseModel):
    method: str
    counts: dict[str, int]


def _sql(name: str) -> str:
    return resources.files("bhq_migrate.migrate").joinpath("sql", name).read_text(encoding="utf-8")


def _binary(name: str) -> str | None:
    """``name`` on PATH, else the newest PostgreSQL's copy under /usr/lib/postgresql."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(Path(p).parts[-3]))
    return candidates[-1] if candidates else None


def _without_password(url: str) -> tuple[str, dict[str, str]]:
    """A conninfo for a client binary, with the password moved to PGPASSWORD (never on a command line)."""
    params = pg_conninfo.conninfo_to_dict(url)
    env = dict(os.environ)
    password = params.pop("password", None)
    if password is not None:
        env["PGPASSWORD"] = str(password)
    return pg_conninfo.make_conninfo(**params), env  # type: ignore[arg-type]


class Scratch:
    """Creates the scratch database; ``drop()`` removes it (idempotent)."""

    def __init__(self, url: str, limits: SessionLimits | None, clone_max_bytes: int) -> None:
        self.url, self.limits, self.clone_max_bytes = url, limits, clone_max_bytes
        self.name = f"bhq_trace_{uuid.uuid4().hex[:12]}"
        self.created = False
        self.method = ""

    @property
    def scratch_url(self) -> str:
        return with_dbname(self.url, self.name)

    def _admin(self) -> psycopg.Connection[Any]:
        conn = connect(with_dbname(self.url, "postgres"), limits=self.limits)
        conn.autocommit = True
        return conn

    def create(self) -> None:
        with connect(self.url, limits=self.limits) as conn:
            target, size = conn.execute(cast("Any", _sql("trace_target.sql"))).fetchone()  # type: ignore[misc]
        if size > self.clone_max_bytes:
            self._schema_only(f"database is {size // 1024**2} MB, over the clone limit")
            return
        with self._admin() as admin:
            others = _wait_for_exiting_sessions(admin, target)
            if others:
                clone_refusal = f"{others} other session(s) connected (TEMPLATE needs none)"
            else:
                try:
                    admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                        sql.Identifier(self.name), sql.Identifier(target)))
                    self.created, self.method = True, "template clone"
                    return
                except pg_errors.ObjectInUse:
                    clone_refusal = "another session connected while cloning"
                except psycopg.Error as exc:  # no CREATEDB privilege, disk full...: say so, exit 2
                    raise TraceImpossible(f"trace not possible: cannot create a scratch database: "
                                          f"{_first(str(exc).encode())}") from None
        self._schema_only(clone_refusal)

    def _schema_only(self, clone_refusal: str) -> None:
        pg_dump, psql = _binary("pg_dump"), _binary("psql")
        if pg_dump is None or psql is None:
            raise TraceImpossible(f"trace not possible: cannot clone ({clone_refusal}) and pg_dump/psql not found")
        try:
            with self._admin() as admin:
                admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(self.name)))
        except psycopg.Error as exc:
            raise TraceImpossible(f"trace not possible: cannot create a scratch database: "
                                  f"{_first(str(exc).encode())}") from None
        self.created = True
        source, env = _without_password(self.url)
        target, _ = _without_password(self.scratch_url)
        dump = subprocess.run([pg_dump, "--schema-only", "--no-owner", "--no-privileges", "--dbname", source],
                              capture_output=True, env=env, check=False)
        if dump.returncode != 0:
            raise TraceImpossible(f"trace not possible: pg_dump failed: {_first(dump.stderr)}")
        load = subprocess.run([psql, "--quiet", "--no-psqlrc", "-v", "ON_ERROR_STOP=1", "--dbname", target],
                              input=dump.stdout, capture_output=True, env=env, check=False)
        if load.returncode != 0:
            raise TraceImpossible(f"trace not possible: psql could not load the schema: {_first(load.stderr)}")
        self.method = f"schema-only copy ({clone_refusal}); tables are empty, row counts are the live estimates"

    def drop(self) -> None:
        if not self.created:
            return
        with self._admin() as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name)))
        self.created = False


def _wait_for_exiting_sessions(admin: psycopg.Connection[Any], target: str) -> int:
    """How many other sessions are connected to ``target``, once idle bhq-migrate sessions had up to
    EXITING_SESSION_WAIT_S to leave.

    A connection we closed a moment ago (the plan report's catalog read, the size query above) still shows in
    pg_stat_activity until its backend has exited, and on a busy machine that takes a while. Counting it would
    make a trace fall back to a schema-only copy for no reason. Any other session (the application's) ends the
    wait at once: the clone is refused, and we never issue a CREATE DATABASE that would make PostgreSQL wait for
    it while new connections to the database queue behind the template's lock.
    """
    deadline = monotonic() + EXITING_SESSION_WAIT_S
    while True:
        everyone, not_exiting = admin.execute(  # type: ignore[misc]
            cast("Any", _sql("trace_sessions.sql")), {"target": target}).fetchone()
        if everyone == 0 or not_exiting or monotonic() >= deadline:
            return int(everyone)
        sleep(EXITING_SESSION_POLL_S)


def _first(stderr: bytes) -> str:
    lines = stderr.decode("utf-8", "replace").strip().splitlines()
    return lines[0] if lines else "no message"


def _observe(conn: psycopg.Connection[Any], statement: str) -> tuple[dict[str, str], list[str], dict[str, str]]:
    """Run ``statement`` in an open transaction: (strongest lock per relation, rewritten relations, relkind of
    each relation that existed before). The caller rolls back."""
    relations = cast("Any", _sql("trace_relfilenodes.sql"))
    before = {oid: (name, node, kind) for oid, name, node, kind in conn.execute(relations)}
    conn.execute(cast("Any", statement))
    locks: dict[str, str] = {}
    for oid, current_name, mode in conn.execute(cast("Any", _sql("trace_own_locks.sql"))):
        name = before[oid][0] if oid in before else current_name  # RENAME: the name the statement used
        held, known = lock_mode_from_pg(mode), locks.get(name)
        if held is not None and (known is None or LockMode(known).strength < held.strength):
            locks[name] = held.value
    after = {oid: node for oid, _, node, _ in conn.execute(relations)}
    rewritten = sorted(name for oid, (name, node, _) in before.items() if oid in after and after[oid] != node)
    existing = {name: kind for name, _, kind in before.values()}
    return locks, rewritten, existing


def _verdict(
    statement: StatementPlan, locks: dict[str, str], rewritten: list[str], relations: dict[str, str]
) -> StatementTrace:
    existing = {name for name, kind in relations.items() if kind in ("r", "p", "m")}
    observed = [ObservedLock(table=display_name(name), mode=mode, created=name not in relations)
                for name, mode in sorted(locks.items())]
    shown_rewritten = [display_name(name) for name in rewritten]
    if statement.effect == "unknown":
        return StatementTrace(verdict=TRACE_ONLY, locks=observed, rewritten=shown_rewritten)
    if statement.locks and not locks and _IF_EXISTS.search(statement.sql):
        return StatementTrace(verdict=NO_OP, reasons=["PostgreSQL locked nothing: IF [NOT] EXISTS found nothing to do"])
    by_display = {display_name(name): mode for name, mode in locks.items()}
    reasons: list[str] = []
    predicted: dict[str, str] = {}
    tables = {display_name(name) for name in existing}
    for lock in statement.locks:  # the strongest predicted mode per table
        # DROP INDEX names the index; the plan report resolved its table, which is what PostgreSQL locks.
        table = lock.table if lock.table in tables or statement.table is None else statement.table
        known = predicted.get(table)
        if known is None or LockMode(lock.mode).strength > LockMode(known).strength:
            predicted[table] = lock.mode
    for table, mode in predicted.items():
        seen = by_display.get(table)
        if seen != mode:
            reasons.append(f"lint predicts {mode} on {table}, PostgreSQL took {seen or 'no lock'}")
    for name in sorted(existing):
        table, taken = display_name(name), locks.get(name)
        if table not in predicted and taken is not None and LockMode(taken).strength > _UNPREDICTED_LIMIT.strength:
            reasons.append(f"{taken} on {table}, which lint does not predict")
    rewrote_table = any(name in existing for name in rewritten)
    if (statement.effect == "rewrite") != rewrote_table:
        reasons.append(f"lint predicts effect {statement.effect}, PostgreSQL "
                       f"{'rewrote ' + ', '.join(shown_rewritten) if rewrote_table else 'rewrote no table'}")
    return StatementTrace(verdict=MISMATCH if reasons else CONFIRMED, locks=observed,
                          rewritten=shown_rewritten, reasons=reasons)


def _trace_statement(conn: psycopg.Connection[Any], statement: StatementPlan) -> StatementTrace:
    try:
        with conn.transaction(force_rollback=True):
            locks, rewritten, existing = _observe(conn, statement.sql)
    except pg_errors.ActiveSqlTransaction:
        result = StatementTrace(verdict=NOT_TRACED)
    except psycopg.Error as exc:
        return StatementTrace(verdict=NOT_RUN, reasons=[_first(str(exc).encode())])
    else:
        result = _verdict(statement, locks, rewritten, existing)
    # Advance the scratch copy so later statements find what this one creates (the copy is dropped at the end).
    try:
        conn.execute(cast("Any", statement.sql))
    except psycopg.Error as exc:
        result.reasons.append(f"could not apply it to the scratch copy: {_first(str(exc).encode())}")
    return result


def trace_report(report: PlanReport, url: str, *, limits: SessionLimits | None = None,
                 clone_max_bytes: int = DEFAULT_CLONE_MAX_BYTES) -> TraceSummary:
    """Trace every pending statement of ``report`` (filling ``statement.trace``); the scratch database is gone
    when this returns or raises."""
    scratch = Scratch(url, limits, clone_max_bytes)
    try:
        scratch.create()
        with connect(scratch.scratch_url, limits=limits) as conn:
            conn.autocommit = True
            for plan in report.pending:
                for statement in plan.statements:
                    statement.trace = _trace_statement(conn, statement)
    finally:
        scratch.drop()
    counts: dict[str, int] = {}
    for plan in report.pending:
        for statement in plan.statements:
            if statement.trace is not None:
                counts[statement.trace.verdict] = counts.get(statement.trace.verdict, 0) + 1
    return TraceSummary(method=scratch.method, counts=counts)


def trace_lines(line: int, trace: StatementTrace | None) -> list[str]:
    """Plain-text console lines for one statement's trace."""
    if trace is None:
        return []
    locks = ", ".join(f"{lock.mode} on {lock.table}" for lock in trace.locks if not lock.created) or "no lock"
    created = sum(1 for lock in trace.locks if lock.created)
    locks += f" (+{created} on relations it created)" if created else ""
    observed = "" if trace.verdict in (NOT_TRACED, NOT_RUN, NO_OP) else (
        f": {locks}; " + (f"rewrote {', '.join(trace.rewritten)}" if trace.rewritten else "no rewrite"))
    return [f"line {line}: {trace.verdict}{observed}"] + [f"  {reason}" for reason in trace.reasons]
