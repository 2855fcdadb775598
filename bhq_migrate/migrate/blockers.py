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
        """,  # type: ignore[arg-type]
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
        """,  # type: ignore[arg-type]
        (tables,),
    ).fetchall()
    return _format(rows)
