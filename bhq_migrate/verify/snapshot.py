"""What verify reads from the database: the shared catalog snapshot, the audit rules' findings, the history.

Everything is read by a fixed number of set-based round trips whatever the number of tables or checks,
inside one ``REPEATABLE READ READ ONLY`` transaction (:func:`bhq_migrate.catalog.snapshot`): every query sees
the same snapshot, and the server itself refuses any write, so a role with nothing but USAGE/SELECT can run
verify. The round trips: BEGIN, the catalog's context, columns, indexes and constraints
(``bhq_migrate/catalog/sql/``), the audits (one UNION ALL of every rule's fragment, ``sql/audit_*.sql``),
history (only if the table exists), ROLLBACK.

Columns, indexes and constraints are read in full only for the tables the checks files name; the audit
rules look at every table, but on the server, returning only what they find. So an unrelated table costs
a few catalog rows scanned on the server and nothing in Python (bench/RESULTS.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import psycopg

from bhq_migrate.catalog import (
    Catalog,
    CatalogSession,
    Column,
    Constraint,
    Index,
    IndexColumn,
    Part,
    QName,
    Table,
    catalog_sql,
)
from bhq_migrate.catalog import snapshot as catalog_snapshot
from bhq_migrate.connection import SessionLimits, connect, is_timeout
from bhq_migrate.errors import ConnectionFailed

__all__ = [
    "AuditQuery",
    "Column",
    "Constraint",
    "HistoryEntry",
    "Index",
    "IndexColumn",
    "Snapshot",
    "Table",
    "capture",
    "read_snapshot",
]

PARTS = Part.COLUMNS | Part.INDEXES | Part.CONSTRAINTS
"""The catalog parts the checks read."""


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    id: str
    name: str
    sha256: str


@cache
def verify_sql(name: str) -> str:
    """The text of ``sql/<name>.sql`` (the audit fragments and the history query)."""
    return resources.files("bhq_migrate.verify").joinpath("sql", f"{name}.sql").read_text(encoding="utf-8")


@dataclass(frozen=True)
class AuditQuery:
    """What the audit rules' catalog queries need to know (see sql/audit_*.sql)."""

    rules: tuple[str, ...]
    """SQL file names of the rules' fragments, e.g. ``audit_v001``."""
    money_patterns: tuple[str, ...]
    """Glob patterns (``*Cents``); translated to LIKE patterns here."""
    soft_delete_columns: tuple[str, ...]
    declared_indexes: tuple[str, ...] = ()
    """``schema.index`` names the checked plans declare (the engine passes them on to V004)."""

    def sql(self) -> str:
        fragments = "\nUNION ALL\n".join(
            f"SELECT rule, detail FROM (\n{verify_sql(rule).strip()}\n) AS {rule}" for rule in self.rules
        )
        return f"WITH tbl AS (\n{catalog_sql('tables')}\n),\n{verify_sql('audit_scope')}\n{fragments}"

    def params(self) -> dict[str, Any]:
        return {
            "money_patterns": [glob_to_like(pattern) for pattern in self.money_patterns],
            "soft_delete_columns": list(self.soft_delete_columns),
        }


def glob_to_like(pattern: str) -> str:
    """``*_cents`` -> ``%\\_cents``: ``*`` and ``?`` are wildcards, everything else is literal."""
    escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%").replace("?", "_")


@dataclass(frozen=True)
class Snapshot:
    catalog: Catalog
    history: Mapping[str, HistoryEntry] | None
    """Applied plans by id; None when the history table does not exist."""
    round_trips: int = 0
    elapsed_ms: float = 0.0
    audit_rows: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    """Audit rule id -> what its catalog query found (one JSON array per finding)."""
    @property
    def server_version(self) -> int:
        return self.catalog.server_version

    @property
    def matched_tables(self) -> frozenset[str]:
        """The ``tables`` filters that name an existing table in ``schemas``."""
        return self.catalog.matched_names

    @property
    def schemas(self) -> frozenset[str]:
        return self.catalog.schemas

    @property
    def tables(self) -> Mapping[QName, Table]:
        return self.catalog.tables

    @property
    def indexes(self) -> Mapping[QName, Index]:
        return self.catalog.indexes

    @property
    def constraints(self) -> Mapping[tuple[QName, str], Constraint]:
        return self.catalog.constraints

    @property
    def indexes_by_table(self) -> Mapping[QName, tuple[Index, ...]]:
        return self.catalog.indexes_by_table

    @property
    def constraints_by_table(self) -> Mapping[QName, tuple[Constraint, ...]]:
        return self.catalog.constraints_by_table

    def index_on(self, schema: str, name: str) -> Index | None:
        return self.catalog.index_on(schema, name)

    def constraint(self, table: QName, name: str) -> Constraint | None:
        return self.catalog.constraint(table, name)


def capture(
    url: str,
    schemas: tuple[str, ...] = (),
    tables: tuple[str, ...] = (),
    detail: tuple[QName, ...] | None = None,
    audits: AuditQuery | None = None,
    *,
    limits: SessionLimits | None = None,
) -> Snapshot:
    """Open a connection and read the snapshot in one read-only transaction.

    ``detail``: the tables whose columns, indexes and constraints are read in full (None: every table in
    scope). ``audits``: run the audit rules' set-based queries over every table in scope.
    """
    with connect(url, autocommit=True, limits=limits) as conn:
        return read_snapshot(conn, schemas, tables, detail, audits)


def read_snapshot(
    conn: psycopg.Connection[Any],
    schemas: tuple[str, ...] = (),
    tables: tuple[str, ...] = (),
    detail: tuple[QName, ...] | None = None,
    audits: AuditQuery | None = None,
) -> Snapshot:
    try:
        with catalog_snapshot(conn) as session:
            catalog = session.read(PARTS, schemas=schemas or None, names=tables or None, tables=detail)
            audit_rows = _audits(session, catalog, tables, audits)
            history: dict[str, HistoryEntry] | None = None
            if catalog.has_history:
                history = {row[0]: HistoryEntry(*row) for row in session.execute(verify_sql("history"))}
    except psycopg.errors.InsufficientPrivilege as exc:
        message = (exc.diag.message_primary or str(exc)).strip().splitlines()[0]
        raise ConnectionFailed(
            f"reading the catalog failed: {message} (verify needs USAGE on the schemas it checks and SELECT "
            "on bhq_migrate.history)"
        ) from None
    except psycopg.Error as exc:
        if is_timeout(exc):
            raise  # the connection's `with` block names who is in the way (connection.timeout_error)
        message = (exc.diag.message_primary or str(exc)).strip().splitlines()[0]
        raise ConnectionFailed(f"reading the catalog failed: {message}") from None
    return Snapshot(catalog, history, session.round_trips, session.elapsed_ms, audit_rows)


def _audits(
    session: CatalogSession, catalog: Catalog, tables: tuple[str, ...], audits: AuditQuery | None
) -> dict[str, tuple[Any, ...]]:
    if audits is None or not audits.rules:
        return {}
    params = {
        "schemas": sorted(catalog.schemas),
        "names": list(tables) or None,
        "detail_schemas": None,  # the audits look at every table in scope
        "detail_tables": None,
        **audits.params(),
    }
    found: dict[str, list[Any]] = {}
    for rule_id, detail in session.execute(audits.sql(), params):
        found.setdefault(rule_id, []).append(detail)
    return {rule_id: tuple(sorted(rows, key=repr)) for rule_id, rows in found.items()}
