"""Naming who is in the way: the holder of the advisory lock, or the sessions locking a plan's table."""

from __future__ import annotations

from typing import Any

import psycopg
from pglast import ast, parse_sql

from bhq_migrate.connection import SESSION_COLUMNS as _SESSION
from bhq_migrate.connection import format_sessions as _format

Connection = psycopg.Connection[Any]


def describe_lock_holder(conn: Connection, key: int) -> str:
    """Who holds the bigint advisory lock ``key`` (pg_locks splits it into classid/objid)."""
    rows = conn.execute(
        f"""
        SELECT {_SESSION}
        FROM pg_catalog.pg_locks AS l JOIN pg_catalog.pg_stat_activity AS a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
          AND l.classid::bigint = (%(key)s >> 32) AND l.objid::bigint = (%(key)s & 4294967295)
          AND l.pid <> pg_backend_pid()
        """,
        {"key": key},
    ).fetchall()
    return "held by " + _format(rows)


def statement_tables(statement_sql: str) -> list[str]:
    """Qualified names of the tables a statement locks, read from its parse tree."""
    names: list[str] = []
    for raw in parse_sql(statement_sql):
        node = raw.stmt
        relation = getattr(node, "relation", None)
        if isinstance(relation, ast.RangeVar):
            names.append(f'"{relation.schemaname}"."{relation.relname}"' if relation.schemaname
                         else f'"{relation.relname}"')
    return names


def describe_blockers(conn: Connection, statement_sql: str) -> str:
    """Sessions holding any lock on the tables ``statement_sql`` needs."""
    return describe_table_blockers(conn, statement_tables(statement_sql))


def describe_table_blockers(conn: Connection, tables: list[str]) -> str:
    """Sessions holding any lock on ``tables`` (quoted names, as ``to_regclass`` reads them)."""
    if not tables:
        return "an unknown session (the statement names no table)"
    rows = conn.execute(
        f"""
        SELECT DISTINCT {_SESSION}
        FROM pg_catalog.pg_locks AS l JOIN pg_catalog.pg_stat_activity AS a ON a.pid = l.pid
        WHERE l.locktype = 'relation' AND l.granted AND l.pid <> pg_backend_pid()
          AND l.relation = ANY (SELECT to_regclass(t) FROM unnest(%s::text[]) AS t)
        ORDER BY 1
        """,
        (tables,),
    ).fetchall()
    return _format(rows)


def cancel_autovacuum(conn: Connection, tables: list[str]) -> list[str]:
    """Cancel the (non-wraparound) autovacuum workers holding locks on ``tables``; what was done, as text.

    An autovacuum gives way by itself only to a lock request that has waited ``deadlock_timeout`` (1 s by
    default); an online step's shorter lock_timeout gives up first, so without this a vacuum of a large table
    (after a backfill, typically) would outlast every retry. A wraparound vacuum is never cancelled. On
    PostgreSQL 15 only a superuser may cancel it; otherwise the retries go on and the refusal is reported.
    """
    if not tables:
        return []
    rows = conn.execute(
        """
        SELECT DISTINCT a.pid, left(a.query, 120)
        FROM pg_catalog.pg_locks AS l JOIN pg_catalog.pg_stat_activity AS a ON a.pid = l.pid
        WHERE a.backend_type = 'autovacuum worker' AND a.query NOT LIKE '%%to prevent wraparound%%'
          AND l.locktype = 'relation' AND l.granted
          AND l.relation = ANY (SELECT to_regclass(t) FROM unnest(%s::text[]) AS t)
        """,
        (tables,),
    ).fetchall()
    done: list[str] = []
    for pid, query in rows:
        try:
            cancelled = conn.execute("SELECT pg_cancel_backend(%s)", (pid,)).fetchone()
            done.append(f"cancelled {query} (pid {pid})" if cancelled and cancelled[0] else
                        f"could not cancel {query} (pid {pid}): it had already finished")
        except psycopg.errors.InsufficientPrivilege:
            done.append(f"not permitted to cancel {query} (pid {pid}); waiting for it with the retries")
    return done
