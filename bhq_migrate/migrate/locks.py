"""Every table lock a plan's transaction needs, taken up front, in a fixed order, under one time bound.

Taken statement by statement, a transaction holds ACCESS EXCLUSIVE on the first table it rewrote while it
queues for the next one; every reader of the first table then waits for that queue too, far longer than
``lock_timeout``. Taking all the locks first, before anything is rewritten, bounds the wait of every other
session by ``lock_timeout``: the whole lock phase runs as one statement under ``statement_timeout =
lock_timeout``, and if it cannot finish, the transaction rolls back (nothing done yet) and apply retries.

The set comes from lint's lock table (:mod:`bhq_migrate.lint.analysis`): each statement's locks, the strongest
mode per table. The order is the order in which the plans first touch each table, which is the order the plan's
author chose (001 takes "Payment" before "Invoice", as a payment INSERT does, so a writer waits instead of
deadlocking). Tables a plan creates do not exist yet and are not locked; nor are the targets of dynamic SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, cast

import psycopg

from bhq_migrate.lint.analysis import LockMode, analyse_statement
from bhq_migrate.lint.source import source_from_plan
from bhq_migrate.plans import Plan

Connection = psycopg.Connection[Any]


@dataclass(frozen=True)
class LockRequest:
    table: str
    """``schema.name`` as lint names it (unquoted)."""
    mode: LockMode


@dataclass(frozen=True)
class UpFrontLock:
    table: str
    """Quoted and qualified: ``public."Payment"``."""
    mode: LockMode


def requested_locks(plans: Sequence[Plan]) -> list[LockRequest]:
    """Each table the plans' statements lock, strongest mode, in order of first appearance."""
    modes: dict[str, LockMode] = {}
    for plan in plans:
        for unit in source_from_plan(plan).units:
            for lock in analyse_statement(unit.node).locks:
                known = modes.get(lock.table)
                if known is None or lock.mode.strength > known.strength:
                    modes[lock.table] = lock.mode
    return [LockRequest(table, mode) for table, mode in modes.items()]


def _sql(name: str) -> str:
    return resources.files("bhq_migrate.migrate").joinpath("sql", name).read_text(encoding="utf-8")


def resolve(conn: Connection, requests: Sequence[LockRequest]) -> list[UpFrontLock]:
    """The existing tables behind ``requests`` (an index's table for DROP INDEX), in order, one per table."""
    if not requests:
        return []
    parts = [request.table.partition(".") for request in requests]
    rows = conn.execute(cast("Any", _sql("lock_targets.sql")),
                        {"schemas": [schema for schema, _, _ in parts], "names": [name for _, _, name in parts]})
    modes: dict[str, LockMode] = {}
    for position, table in rows.fetchall():
        mode = requests[position - 1].mode
        if table not in modes or mode.strength > modes[table].strength:
            modes[table] = mode
    return [UpFrontLock(table, mode) for table, mode in modes.items()]


def lock_statement(locks: Sequence[UpFrontLock]) -> str:
    """One statement taking every lock in order (a DO block: one statement, so one statement_timeout bounds
    the whole phase; LOCK TABLE itself takes one mode only)."""
    body = " ".join(f"LOCK TABLE {lock.table} IN {lock.mode.value} MODE;" for lock in locks)
    return f"DO $bhq_lock$ BEGIN {body} END $bhq_lock$"


def take(conn: Connection, locks: Sequence[UpFrontLock], lock_timeout: str, statement_timeout: str) -> None:
    """Inside the caller's transaction: take ``locks`` in order, the whole phase bounded by ``lock_timeout``
    (then ``statement_timeout`` is back for the plan). Raises the server's LockNotAvailable or QueryCanceled."""
    if not locks:
        return
    conn.execute("SELECT set_config('statement_timeout', %s, true)", (lock_timeout,))
    conn.execute(cast("Any", lock_statement(locks)))
    conn.execute("SELECT set_config('statement_timeout', %s, true)", (statement_timeout,))
