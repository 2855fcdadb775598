"""One consistent, read-only picture of the catalog, keyed by qualified name.

Everything verify needs is read by the ``catalog/*.sql`` queries, a fixed number of set-based round trips
whatever the number of tables or checks, inside one ``REPEATABLE READ READ ONLY`` transaction: every
query sees the same snapshot, and the server itself refuses any write, so a role with nothing but
USAGE/SELECT can run verify. The round trips: BEGIN, context, columns, indexes, constraints, the audits
(one UNION ALL of every rule's fragment), history (only if the table exists), ROLLBACK.

Columns, indexes and constraints are read in full only for the tables the checks files name; the audit
rules look at every table, but on the server, returning only what they find. So an unrelated table costs
a few catalog rows scanned on the server and nothing in Python (bench/RESULTS.md).

The models are frozen dataclasses with slots rather than pydantic models: a database with thousands of
tables yields tens of thousands of rows, and validation of rows the server already typed would dominate
the run time (see bench/RESULTS.md).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import psycopg

from bhq_migrate.connection import connect
from bhq_migrate.errors import ConnectionFailed
from bhq_migrate.verify.expectations import QName

FK_ACTIONS = {"a": "no action", "r": "restrict", "c": "cascade", "n": "set null", "d": "set default"}
_INDOPTION_DESC = 1
_INDOPTION_NULLS_FIRST = 2


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str
    not_null: bool
    default: str | None
    position: int


@dataclass(frozen=True, slots=True)
class Table:
    schema: str
    name: str
    columns: Mapping[str, Column]

    @property
    def qname(self) -> QName:
        return (self.schema, self.name)


@dataclass(frozen=True, slots=True)
class IndexColumn:
    """A key column: ``column`` for a plain column, else ``expression`` as the server renders it."""

    column: str | None
    expression: str | None
    descending: bool
    nulls_first: bool


@dataclass(frozen=True, slots=True)
class Index:
    schema: str
    name: str
    table: QName
    keys: tuple[IndexColumn, ...]
    unique: bool
    primary: bool
    method: str
    predicate: str | None
    valid: bool
    ready: bool
    constraint: str | None

    @property
    def qname(self) -> QName:
        return (self.schema, self.name)

    @property
    def key_columns(self) -> tuple[str | None, ...]:
        return tuple(key.column for key in self.keys)


@dataclass(frozen=True, slots=True)
class Constraint:
    table: QName
    name: str
    type: str
    """PostgreSQL's contype: c (check), f (foreign key), u (unique), p (primary key), x (exclusion)."""
    columns: tuple[str, ...]
    validated: bool
    ref_table: QName | None = None
    ref_columns: tuple[str, ...] = ()
    on_delete: str | None = None
    on_update: str | None = None
    expression: str | None = None
    index: str | None = None


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    id: str
    name: str
    sha256: str


@dataclass(frozen=True)
class AuditQuery:
    """What the audit rules' catalog queries need to know (see catalog/audit_*.sql)."""

    rules: tuple[str, ...]
    """Catalog file names of the rules' fragments, e.g. ``audit_v001``."""
    money_patterns: tuple[str, ...]
    """Glob patterns (``*Cents``); translated to LIKE patterns here."""
    soft_delete_columns: tuple[str, ...]
    declared_indexes: tuple[str, ...] = ()
    """``schema.index`` names the checked plans declare (the engine passes them on to V004)."""

    def sql(self) -> str:
        fragments = "\nUNION ALL\n".join(
            f"SELECT rule, detail FROM (\n{catalog_sql(rule).strip()}\n) AS {rule}" for rule in self.rules
        )
        return f"{catalog_sql('audit_scope')}\n{fragments}"

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
    server_version: int
    schemas: frozenset[str]
    tables: Mapping[QName, Table]
    indexes: Mapping[QName, Index]
    constraints: Mapping[tuple[QName, str], Constraint]
    history: Mapping[str, HistoryEntry] | None
    """Applied plans by id; None when the history table does not exist."""
    round_trips: int = 0
    elapsed_ms: float = 0.0
    indexes_by_table: Mapping[QName, tuple[Index, ...]] = field(default_factory=dict)
    constraints_by_table: Mapping[QName, tuple[Constraint, ...]] = field(default_factory=dict)
    audit_rows: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    """Audit rule id -> what its catalog query found (one JSON array per finding)."""
    matched_tables: frozenset[str] = frozenset()
    """The ``tables`` filters that name an existing table in ``schemas``."""

    def index_on(self, schema: str, name: str) -> Index | None:
        return self.indexes.get((schema, name))

    def constraint(self, table: QName, name: str) -> Constraint | None:
        return self.constraints.get((table, name))


class CountingConnection:
    """Sends every catalog query through one place, so the number of round trips is counted, not guessed."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn
        self.round_trips = 0

    def execute(self, query: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        self.round_trips += 1
        with self.conn.cursor() as cursor:
            cursor.execute(query, params)  # type: ignore[arg-type]
            return cursor.fetchall() if cursor.description else []


def catalog_sql(name: str) -> str:
    return resources.files("bhq_migrate.verify.catalog").joinpath(f"{name}.sql").read_text(encoding="utf-8")


def capture(
    url: str,
    schemas: tuple[str, ...] = (),
    tables: tuple[str, ...] = (),
    detail: tuple[QName, ...] | None = None,
    audits: AuditQuery | None = None,
) -> Snapshot:
    """Open a connection and read the snapshot in one read-only transaction.

    ``detail``: the tables whose columns, indexes and constraints are read in full (None: every table in
    scope). ``audits``: run the audit rules' set-based queries over every table in scope.
    """
    with connect(url, autocommit=True) as conn:
        return read_snapshot(conn, schemas, tables, detail, audits)


def read_snapshot(
    conn: psycopg.Connection[Any],
    schemas: tuple[str, ...] = (),
    tables: tuple[str, ...] = (),
    detail: tuple[QName, ...] | None = None,
    audits: AuditQuery | None = None,
) -> Snapshot:
    started = time.perf_counter()
    counted = CountingConnection(conn)
    try:
        # One snapshot for every query; READ ONLY makes the server refuse any write, whatever the role.
        counted.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            snapshot = _read(counted, schemas, tables, detail, audits)
        finally:
            counted.execute("ROLLBACK")
    except psycopg.errors.InsufficientPrivilege as exc:
        message = (exc.diag.message_primary or str(exc)).strip().splitlines()[0]
        raise ConnectionFailed(
            f"reading the catalog failed: {message} (verify needs USAGE on the schemas it checks and SELECT "
            "on bhq_migrate.history)"
        ) from None
    except psycopg.Error as exc:
        message = (exc.diag.message_primary or str(exc)).strip().splitlines()[0]
        raise ConnectionFailed(f"reading the catalog failed: {message}") from None
    elapsed = (time.perf_counter() - started) * 1000
    return Snapshot(
        server_version=snapshot.server_version,
        schemas=snapshot.schemas,
        tables=snapshot.tables,
        indexes=snapshot.indexes,
        constraints=snapshot.constraints,
        history=snapshot.history,
        round_trips=counted.round_trips,
        elapsed_ms=elapsed,
        indexes_by_table=snapshot.indexes_by_table,
        constraints_by_table=snapshot.constraints_by_table,
        audit_rows=snapshot.audit_rows,
        matched_tables=snapshot.matched_tables,
    )


def _read(
    counted: CountingConnection,
    schemas: tuple[str, ...],
    tables: tuple[str, ...],
    detail: tuple[QName, ...] | None,
    audits: AuditQuery | None,
) -> Snapshot:
    ((server_version, has_history, in_scope, matched_tables),) = counted.execute(
        catalog_sql("context"), {"schemas": list(schemas) or None, "tables": list(tables) or None}
    )
    params: dict[str, Any] = {
        "schemas": list(in_scope),
        "tables": list(tables) or None,
        "detail_schemas": None if detail is None else [qname[0] for qname in detail],
        "detail_tables": None if detail is None else [qname[1] for qname in detail],
    }

    columns_by_table: dict[QName, dict[str, Column]] = {}
    for schema, table, position, name, type_, not_null, default in counted.execute(catalog_sql("columns"), params):
        table_columns = columns_by_table.setdefault((schema, table), {})
        if name is not None:
            table_columns[name] = Column(name, type_, not_null, default, position)
    table_map = {qname: Table(qname[0], qname[1], cols) for qname, cols in columns_by_table.items()}

    index_map: dict[QName, Index] = {}
    by_table: dict[QName, list[Index]] = {}
    for row in counted.execute(catalog_sql("indexes"), params):
        (schema, name, table, unique, primary, valid, ready, method, predicate,
         expressions, key_columns, options, constraint) = row
        keys = tuple(
            IndexColumn(
                column=column if expression is None else None,
                expression=expression,
                descending=bool(option & _INDOPTION_DESC),
                nulls_first=bool(option & _INDOPTION_NULLS_FIRST),
            )
            for column, expression, option in zip(key_columns, expressions, options, strict=True)
        )
        index = Index(schema, name, (schema, table), keys, unique, primary, method, predicate, valid, ready, constraint)
        index_map[(schema, name)] = index
        by_table.setdefault((schema, table), []).append(index)

    constraint_map: dict[tuple[QName, str], Constraint] = {}
    constraints_by_table: dict[QName, list[Constraint]] = {}
    for row in counted.execute(catalog_sql("constraints"), params):
        (schema, table, name, type_, validated, cols, ref_schema, ref_table, ref_cols,
         on_delete, on_update, expression, index_name) = row
        constraint = Constraint(
            table=(schema, table),
            name=name,
            type=type_,
            columns=tuple(cols),
            validated=validated,
            ref_table=(ref_schema, ref_table) if ref_table else None,
            ref_columns=tuple(ref_cols),
            on_delete=FK_ACTIONS.get(on_delete) if on_delete else None,
            on_update=FK_ACTIONS.get(on_update) if on_update else None,
            expression=expression,
            index=index_name,
        )
        constraint_map[((schema, table), name)] = constraint
        constraints_by_table.setdefault((schema, table), []).append(constraint)

    audit_rows: dict[str, list[Any]] = {}
    if audits is not None and audits.rules:
        for rule_id, found in counted.execute(audits.sql(), {**params, **audits.params()}):
            audit_rows.setdefault(rule_id, []).append(found)

    history: dict[str, HistoryEntry] | None = None
    if has_history:
        history = {row[0]: HistoryEntry(*row) for row in counted.execute(catalog_sql("history"))}

    return Snapshot(
        server_version=server_version,
        schemas=frozenset(in_scope),
        tables=table_map,
        indexes=index_map,
        constraints=constraint_map,
        history=history,
        indexes_by_table={qname: tuple(items) for qname, items in by_table.items()},
        constraints_by_table={qname: tuple(items) for qname, items in constraints_by_table.items()},
        audit_rows={rule_id: tuple(sorted(rows, key=repr)) for rule_id, rows in audit_rows.items()},
        matched_tables=frozenset(matched_tables),
    )
