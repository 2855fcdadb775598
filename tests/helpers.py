"""Small, explicit helpers for tests: catalog facts read straight from PostgreSQL, and waits on events."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

REPO_ROOT = Path(__file__).resolve().parent.parent


def query(url: str, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, autocommit=True) as conn:
        cursor = conn.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def scalar(url: str, sql: str, params: Any = None) -> Any:
    rows = query(url, sql, params)
    return rows[0][0] if rows else None


WAIT_BOUND_S = 300.0
"""How long a wait gives its event before the test fails: generous, for a busy 2-core machine; it bounds a
broken test only, a working one ends on the event."""


def wait_for_query(
    url: str, sql: str, params: Any = None, *, while_running: Callable[[], bool] = lambda: True,
    pause_s: float = 0.05, bound_s: float = WAIT_BOUND_S,
) -> Any:
    """Wait for a database event: the first value of ``sql``'s first row once it is truthy (a pid, a count...).

    None when ``while_running()`` turns false first (the process or thread that should cause the event ended,
    so it never will) or after ``bound_s``. Between checks the test waits inside the server (``pg_sleep`` on
    the same connection), never in Python; each check runs in its own transaction, so pg_stat_activity and
    pg_locks are read afresh.
    """
    deadline = time.monotonic() + bound_s
    with psycopg.connect(url, autocommit=True) as conn:
        while True:
            row = conn.execute(sql, params).fetchone()
            if row and row[0]:
                return row[0]
            if not while_running() or time.monotonic() > deadline:
                return None
            conn.execute("SELECT pg_sleep(%s)", (pause_s,))


def wait_for_exit(pid: int, bound_s: float = WAIT_BOUND_S) -> bool:
    """Wait for process ``pid`` (not necessarily a child) to end: a pidfd becomes readable when it exits.
    False if it is still running after ``bound_s``."""
    try:
        handle = os.pidfd_open(pid)
    except ProcessLookupError:  # already gone (and reaped)
        return True
    try:
        readable, _, _ = select.select([handle], [], [], bound_s)
        return bool(readable)
    finally:
        os.close(handle)


def column_type(url: str, table: str, column: str, schema: str = "public") -> str | None:
    return scalar(
        url,
        "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
        "WHERE attrelid = to_regclass(%s) AND attname = %s AND NOT attisdropped",
        (f'"{schema}"."{table}"', column),
    )


def index_definition(url: str, name: str, schema: str = "public") -> str | None:
    return scalar(url, "SELECT indexdef FROM pg_indexes WHERE schemaname = %s AND indexname = %s", (schema, name))


def schema_fingerprint(url: str) -> list[tuple[Any, ...]]:
    """Every user column, index and constraint: equal fingerprints mean an unchanged schema."""
    return query(
        url,
        """
        SELECT 'column', table_schema || '.' || table_name || '.' || column_name,
               data_type || coalesce(column_default, '') || is_nullable
        FROM information_schema.columns WHERE table_schema NOT IN ('pg_catalog', 'information_schema')
        UNION ALL
        SELECT 'index', schemaname || '.' || indexname, indexdef FROM pg_indexes
        WHERE schemaname NOT IN ('pg_catalog', 'information_schema')
        UNION ALL
        SELECT 'constraint', conrelid::regclass::text || '.' || conname, pg_get_constraintdef(oid)
        FROM pg_constraint WHERE connamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
        ORDER BY 1, 2, 3
        """,
    )


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The real command line in a child process (exit codes, stderr and signals as a user sees them)."""
    full_env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), **(env or {})}
    full_env.pop("DATABASE_URL", None) if env is None or "DATABASE_URL" not in env else None
    return subprocess.run(
        [sys.executable, "-m", "bhq_migrate", *args], capture_output=True, text=True, env=full_env,
        timeout=timeout, cwd=REPO_ROOT,
    )


SEED_SCHEMA = Path(__file__).parent / "prisma" / "fixtures" / "seed_models.prisma"


def source_tree(root: Path, code: str, name: str = "a.ts") -> Path:
    """``root/src/<name>`` holding ``code``, with the seed's schema.prisma beside it: a scan must find the
    project's schema (without one it exits 2 rather than assume models)."""
    (root / "src").mkdir(exist_ok=True)
    (root / "src" / "schema.prisma").write_text(SEED_SCHEMA.read_text(encoding="utf-8"), encoding="utf-8")
    path = root / "src" / name
    path.write_text(code, encoding="utf-8")
    return path


def granted_modes(url: str, table: str, pid: int | None = None) -> set[str]:
    """Lock modes other sessions of this database (``pid`` alone, if given) hold on ``table`` right now."""
    rows = query(url, "SELECT mode, pid FROM pg_locks WHERE relation = to_regclass(%s) AND granted "
                      "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                      "AND pid <> pg_backend_pid()", (f'"{table}"',))
    return {mode for mode, holder in rows if pid is None or holder == pid}
