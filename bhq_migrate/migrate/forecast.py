"""Lock-queue forecast: would a pending statement wait for a lock on the live database right now, and for whom?

``plan`` reads every other session's relation lock once (``sql/lock_sessions.sql``: pg_locks joined to
pg_stat_activity), then, for each lock a statement needs, splits the sessions on that table into:

* **blockers**: sessions holding a lock that conflicts with the statement's mode (the statement would wait);
* **ahead**: sessions already waiting for a conflicting lock on the table. PostgreSQL queues lock requests
  in order, so our request also waits behind them;
* **touching**: sessions whose open transaction holds a non-conflicting lock on the table (they do not block
  this statement, but a later one in the same plan may meet them);
* **queued**: how many sessions are waiting on the table now. Once our statement waits, new requests that
  conflict with its mode queue behind it: for ACCESS EXCLUSIVE that is every reader and writer.

A forecast is a snapshot: a session may commit a millisecond later. It says who is in the way now.
"""

from __future__ import annotations

from importlib import resources
from typing import Any, cast

import psycopg
from pydantic import BaseModel

from bhq_migrate.lint.analysis import LockMode, display_name

_AS, _RS, _RE = LockMode.ACCESS_SHARE, LockMode.ROW_SHARE, LockMode.ROW_EXCLUSIVE
_SUE, _S, _SRE = LockMode.SHARE_UPDATE_EXCLUSIVE, LockMode.SHARE, LockMode.SHARE_ROW_EXCLUSIVE
_E, _AE = LockMode.EXCLUSIVE, LockMode.ACCESS_EXCLUSIVE

CONFLICTS: dict[LockMode, frozenset[LockMode]] = {
    _AS: frozenset({_AE}),
    _RS: frozenset({_E, _AE}),
    _RE: frozenset({_S, _SRE, _E, _AE}),
    _SUE: frozenset({_SUE, _S, _SRE, _E, _AE}),
    _S: frozenset({_RE, _SUE, _SRE, _E, _AE}),
    _SRE: frozenset({_RE, _SUE, _S, _SRE, _E, _AE}),
    _E: frozenset({_RS, _RE, _SUE, _S, _SRE, _E, _AE}),
    _AE: frozenset(LockMode),
}
"""Which table-level lock modes conflict with which: PostgreSQL's "Conflicting Lock Modes" table (Table 13.2
in the PostgreSQL 15 manual, chapter 13.3.1 "Table-Level Locks",
https://www.postgresql.org/docs/15/explicit-locking.html). The relation is symmetric; a test checks that."""


def conflicts(requested: LockMode, held: LockMode) -> bool:
    return held in CONFLICTS[requested]


def lock_mode_from_pg(name: str) -> LockMode | None:
    """``AccessExclusiveLock`` (pg_locks.mode) -> :class:`LockMode`; None for non-table modes."""
    for mode in LockMode:
        if mode.pg_locks_name == name:
            return mode
    return None


class LiveSession(BaseModel):
    """One other session's lock on a table, named as every blocker message names a session."""

    table: str
    mode: str
    granted: bool
    pid: int
    user: str
    state: str
    transaction_age_s: int
    query: str


class LockForecast(BaseModel):
    table: str
    mode: str
    would_wait: bool
    blockers: list[LiveSession] = []
    ahead: list[LiveSession] = []
    touching: list[LiveSession] = []
    queued: int = 0
    """Sessions waiting for a lock on this table now (they would be in the queue with this statement)."""
    already_held: str | None = None
    """The mode an earlier statement of the same transactional plan took on this table (no new wait)."""


class StatementForecast(BaseModel):
    would_wait: bool
    locks: list[LockForecast]


def read_live_sessions(conn: psycopg.Connection[Any]) -> list[LiveSession]:
    """Every other session's relation lock in this database: one read-only query, under the session's timeouts."""
    sql = resources.files("bhq_migrate.migrate").joinpath("sql", "lock_sessions.sql").read_text(encoding="utf-8")
    rows = conn.execute(cast("Any", sql)).fetchall()
    return [
        LiveSession(
            table=display_name(f"{schema}.{table}"),
            mode=mode,
            granted=granted,
            pid=pid,
            user=user,
            state=state,
            transaction_age_s=age,
            query=query,
        )
        for schema, table, mode, granted, pid, user, state, age, query in rows
    ]


def forecast_locks(
    locks: list[tuple[str, str]], sessions: list[LiveSession], held: dict[str, LockMode] | None = None
) -> StatementForecast | None:
    """The forecast for a statement taking ``locks`` (display table name, lock mode value); None without locks.

    ``held``: locks an earlier statement of the same transactional plan already took. A held mode whose
    conflicts include all of the requested mode's means the statement cannot wait on that table again."""
    if not locks:
        return None
    results = []
    for table, mode_name in locks:
        mode = LockMode(mode_name)
        earlier = (held or {}).get(table)
        if earlier is not None and CONFLICTS[earlier] >= CONFLICTS[mode]:
            results.append(LockForecast(table=table, mode=mode.value, would_wait=False, already_held=earlier.value))
            continue
        on_table = [session for session in sessions if session.table == table]
        blockers: list[LiveSession] = []
        ahead: list[LiveSession] = []
        touching: list[LiveSession] = []
        for session in on_table:
            theirs = lock_mode_from_pg(session.mode)
            in_conflict = theirs is not None and conflicts(mode, theirs)
            if session.granted:
                (blockers if in_conflict else touching).append(session)
            elif in_conflict:
                ahead.append(session)
        results.append(
            LockForecast(
                table=table,
                mode=mode.value,
                would_wait=bool(blockers or ahead),
                blockers=blockers,
                ahead=ahead,
                touching=touching,
                queued=len({session.pid for session in on_table if not session.granted}),
            )
        )
    return StatementForecast(would_wait=any(lock.would_wait for lock in results), locks=results)


def _session(session: LiveSession) -> str:
    return (f"pid {session.pid} ({session.user}, {session.state}, transaction {session.transaction_age_s} s, "
            f"{session.mode}): {session.query or '-'}")


def forecast_lines(line: int, forecast: StatementForecast | None) -> list[str]:
    """Plain-text lines for the console: only statements that would wait or meet open transactions."""
    if forecast is None:
        return []
    lines: list[str] = []
    for lock in forecast.locks:
        if lock.already_held:
            continue
        if lock.would_wait:
            lines.append(f"line {line}: {lock.mode} on {lock.table} would WAIT "
                         f"({lock.queued} session(s) already waiting on the table)")
        elif lock.touching:
            lines.append(f"line {line}: {lock.mode} on {lock.table} would not wait; open transactions on the table:")
        lines += [f"  held by {_session(session)}" for session in lock.blockers]
        lines += [f"  queued ahead: {_session(session)}" for session in lock.ahead]
        if lock.would_wait or lock.touching:
            lines += [f"  not in the way: {_session(session)}" for session in lock.touching]
    return lines
