"""Reading the catalog: one query per part, each a set-based ``sql/*.sql`` file, all in one snapshot."""

from __future__ import annotations

import time
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import psycopg

from bhq_migrate.catalog.model import (
    FK_ACTIONS,
    INDOPTION_DESC,
    INDOPTION_NULLS_FIRST,
    POLICY_COMMANDS,
    Catalog,
    Column,
    Constraint,
    Dependent,
    Enum,
    Index,
    IndexColumn,
    Part,
    Policy,
    QName,
    Sequence,
    Table,
    Trigger,
)

_TABLE_FIELDS = 14
"""Columns of tables.sql (columns.sql repeats them ahead of each column's fields)."""


@cache
def catalog_sql(name: str) -> str:
    """The text of ``sql/<name>.sql``."""
    return resources.files("bhq_migrate.catalog").joinpath("sql", f"{name}.sql").read_text(encoding="utf-8")


def _scoped(name: str) -> str:
    """A part's query with the scope (tables.sql) in front of it as the CTE ``tbl``."""
    return _scoped_select(catalog_sql(name))


def _scoped_select(query: str) -> str:
    return f"WITH tbl AS (\n{catalog_sql('tables')}\n)\n{query}"


class CatalogSession:
    """Sends every query through one place, so the round trips are counted, not guessed.

    Obtain one from :func:`snapshot`; callers may run their own set-based queries with :meth:`execute` inside
    the same snapshot (verify's audit rules do).
    """

    def __init__(self, conn: psycopg.Connection[Any], timeouts: tuple[str, str] | None = None) -> None:
        self.conn = conn
        self.timeouts = timeouts
        """(lock_timeout, statement_timeout) to set in the session's own transaction; None in a caller's."""
        self.round_trips = 0
        self.started = time.perf_counter()

    @property
    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self.started) * 1000

    def execute(self, query: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        self.round_trips += 1
        with self.conn.cursor() as cursor:
            cursor.execute(query, params)
            return cursor.fetchall() if cursor.description else []

    def read(
        self,
        parts: Part = Part.ALL,
        *,
        schemas: Collection[str] | None = None,
        names: Collection[str] | None = None,
        tables: Collection[QName] | None = None,
    ) -> Catalog:
        """Read ``parts`` for the tables in scope; one round trip for the context plus one per part.

        ``schemas``: None for every user schema. ``names``: None, or table names, bare or ``schema.table``.
        ``tables``: None, or the exact tables to read (verify's "detail only for the tables the checks name").
        Sequences and enums are scoped by schema (sequences also by the tables that own them, when a table
        filter is given).
        """
        lock_timeout, statement_timeout = self.timeouts or (None, None)
        context = catalog_sql("context")
        ((server_version, _timeouts, has_history, has_steps, in_scope, matched_names),) = self.execute(context, {
            "schemas": sorted(schemas) if schemas is not None else None,
            "names": sorted(names) if names is not None else None,
            "lock_timeout": lock_timeout,
            "statement_timeout": statement_timeout,
        })
        ordered = sorted(tables) if tables is not None else None
        params: dict[str, Any] = {
            "schemas": list(in_scope),
            "names": sorted(names) if names is not None else None,
            "detail_schemas": None if ordered is None else [qname[0] for qname in ordered],
            "detail_tables": None if ordered is None else [qname[1] for qname in ordered],
        }
        built = _Builder()
        if Part.COLUMNS in parts:
            built.tables_with_columns(self.execute(_scoped("columns"), params))
        elif Part.TABLES in parts:
            built.tables_only(self.execute(_scoped_select("SELECT * FROM tbl ORDER BY 2, 3"), params))
        if Part.INDEXES in parts:
            built.indexes(self.execute(_scoped("indexes"), params))
        if Part.CONSTRAINTS in parts:
            built.constraints(self.execute(_scoped("constraints"), params))
        if Part.POLICIES in parts:
            built.policies(self.execute(_scoped("policies"), params))
        if Part.DEPENDENTS in parts:
            built.dependents(self.execute(_scoped("dependents"), params))
        if Part.SEQUENCES in parts:
            built.sequences(self.execute(_scoped("sequences"), params))
        if Part.TRIGGERS in parts:
            built.triggers(self.execute(_scoped("triggers"), params))
        if Part.ENUMS in parts:
            built.enums(self.execute(catalog_sql("enums"), params))
        return built.catalog(server_version, frozenset(in_scope), parts, has_history, frozenset(matched_names),
                             has_steps)


LOCK_TIMEOUT = "5s"
"""How long a catalog read may wait for a lock (deparsing takes ACCESS SHARE; see the package docstring)."""
STATEMENT_TIMEOUT = "60s"
"""Upper bound for one catalog query (each is one set-based pass over pg_catalog)."""


@contextmanager
def snapshot(
    conn: psycopg.Connection[Any], *, lock_timeout: str = LOCK_TIMEOUT, statement_timeout: str = STATEMENT_TIMEOUT
) -> Iterator[CatalogSession]:
    """A session whose queries all see one snapshot of the catalog and cannot write.

    On an autocommit connection with no transaction open, this opens ``REPEATABLE READ READ ONLY`` and rolls it
    back at the end (the server itself refuses any write, so a role with only USAGE/SELECT can read). Otherwise
    the queries run in the caller's transaction, which then decides isolation, lifetime and timeouts (``apply``
    reads the catalog inside the transaction that applies the plan, under its own lock_timeout).
    In its own transaction the first read sets ``lock_timeout`` and ``statement_timeout`` (``SET LOCAL``) where
    the session has none; a session's own settings (``apply``'s runner sets both) win.
    """
    own = conn.autocommit and conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    if not own:
        yield CatalogSession(conn)
        return
    session = CatalogSession(conn, (lock_timeout, statement_timeout))
    session.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
    try:
        yield session
    finally:
        if not conn.closed:
            session.execute("ROLLBACK")


def read_catalog(
    conn: psycopg.Connection[Any],
    parts: Part = Part.ALL,
    *,
    schemas: Collection[str] | None = None,
    names: Collection[str] | None = None,
    tables: Collection[QName] | None = None,
) -> Catalog:
    """:meth:`CatalogSession.read` in a :func:`snapshot` of its own."""
    with snapshot(conn) as session:
        return session.read(parts, schemas=schemas, names=names, tables=tables)


@dataclass
class _Builder:
    """Turns the rows of each part into the models (kept apart from the querying so each stays short)."""

    def __post_init__(self) -> None:
        self._tables: dict[QName, Table] = {}
        self._indexes: dict[QName, Index] = {}
        self._indexes_by_table: dict[QName, list[Index]] = {}
        self._constraints: dict[tuple[QName, str], Constraint] = {}
        self._constraints_by_table: dict[QName, list[Constraint]] = {}
        self._policies: dict[tuple[QName, str], Policy] = {}
        self._policies_by_table: dict[QName, list[Policy]] = {}
        self._dependents: dict[tuple[QName, str], list[Dependent]] = {}
        self._sequences: dict[QName, Sequence] = {}
        self._triggers: dict[tuple[QName, str], Trigger] = {}
        self._triggers_by_table: dict[QName, list[Trigger]] = {}
        self._enums: dict[QName, Enum] = {}

    @staticmethod
    def _table(row: tuple[Any, ...], columns: Mapping[str, Column]) -> Table:
        (_oid, schema, name, kind, owner, rls_enabled, rls_forced, is_partition, has_inheritance,
         estimated_rows, analyzed, heap_bytes, total_bytes, persistence) = row[:_TABLE_FIELDS]
        return Table(
            schema, name, columns, kind, owner, rls_enabled, rls_forced, is_partition, has_inheritance,
            int(estimated_rows), analyzed, int(heap_bytes), int(total_bytes), persistence,
        )

    def tables_only(self, rows: list[tuple[Any, ...]]) -> None:
        for row in rows:
            table = self._table(row, {})
            self._tables[table.qname] = table

    def tables_with_columns(self, rows: list[tuple[Any, ...]]) -> None:
        current: tuple[Any, ...] | None = None
        columns: dict[str, Column] = {}

        def flush() -> None:
            if current is not None:
                table = self._table(current, columns)
                self._tables[table.qname] = table

        for row in rows:
            if current is None or row[1:3] != current[1:3]:
                flush()
                current, columns = row, {}
            (position, name, type_, type_name, type_oid, type_modifier, is_array, not_null, default, identity,
             generated, enum_name, comment, has_privileges) = row[_TABLE_FIELDS:]
            if name is not None:
                columns[name] = Column(
                    name, type_, not_null, default, position, type_name, type_modifier, type_oid, is_array,
                    identity, generated, enum_name, comment, has_privileges,
                )
        flush()

    def indexes(self, rows: list[tuple[Any, ...]]) -> None:
        for row in rows:
            (schema, name, table, unique, primary, valid, ready, method, predicate, expressions, key_columns,
             options, include, constraint, constraint_type, definition) = row
            keys = tuple(
                IndexColumn(
                    column=column if expression is None else None,
                    expression=expression,
                    descending=bool(option & INDOPTION_DESC),
                    nulls_first=bool(option & INDOPTION_NULLS_FIRST),
                )
                for column, expression, option in zip(key_columns, expressions, options, strict=True)
            )
            index = Index(
                schema, name, (schema, table), keys, unique, primary, method, predicate, valid, ready, constraint,
                constraint_type, tuple(include), definition,
            )
            self._indexes[index.qname] = index
            self._indexes_by_table.setdefault(index.table, []).append(index)

    def constraints(self, rows: list[tuple[Any, ...]]) -> None:
        for row in rows:
            (schema, table, name, type_, validated, columns, ref_schema, ref_table, ref_columns, on_delete,
             on_update, expression, index_name, definition) = row
            constraint = Constraint(
                table=(schema, table),
                name=name,
                type=type_,
                columns=tuple(columns),
                validated=validated,
                ref_table=(ref_schema, ref_table) if ref_table else None,
                ref_columns=tuple(ref_columns),
                on_delete=FK_ACTIONS.get(on_delete) if on_delete else None,
                on_update=FK_ACTIONS.get(on_update) if on_update else None,
                expression=expression,
                index=index_name,
                definition=definition,
            )
            self._constraints[(constraint.table, name)] = constraint
            self._constraints_by_table.setdefault(constraint.table, []).append(constraint)

    def policies(self, rows: list[tuple[Any, ...]]) -> None:
        for schema, table, name, permissive, command, roles, using, with_check in rows:
            policy = Policy((schema, table), name, permissive, POLICY_COMMANDS.get(command, command), tuple(roles),
                            using, with_check)
            self._policies[(policy.table, name)] = policy
            self._policies_by_table.setdefault(policy.table, []).append(policy)

    def dependents(self, rows: list[tuple[Any, ...]]) -> None:
        for schema, table, column, description, view_schema, view_name, view_kind, view_sql in rows:
            view = (view_schema, view_name) if view_name is not None else None
            self._dependents.setdefault(((schema, table), column), []).append(
                Dependent(description, view, view_kind if view else None, view_sql)
            )

    def sequences(self, rows: list[tuple[Any, ...]]) -> None:
        for (schema, name, data_type, start, increment, min_value, max_value, cycles, owner_schema, owner_table,
             owner_column) in rows:
            owned = (owner_schema, owner_table, owner_column) if owner_table is not None else None
            sequence = Sequence(schema, name, data_type, start, increment, min_value, max_value, cycles, owned)
            self._sequences[sequence.qname] = sequence

    def triggers(self, rows: list[tuple[Any, ...]]) -> None:
        for schema, table, name, enabled, function, definition in rows:
            trigger = Trigger((schema, table), name, enabled, function, definition)
            self._triggers[(trigger.table, name)] = trigger
            self._triggers_by_table.setdefault(trigger.table, []).append(trigger)

    def enums(self, rows: list[tuple[Any, ...]]) -> None:
        for schema, name, labels in rows:
            self._enums[(schema, name)] = Enum(schema, name, tuple(labels))

    def catalog(
        self, server_version: int, schemas: frozenset[str], parts: Part, has_history: bool, matched: frozenset[str],
        has_steps: bool = False,
    ) -> Catalog:
        return Catalog(
            server_version=server_version,
            schemas=schemas,
            parts=parts,
            tables=self._tables,
            indexes=self._indexes,
            constraints=self._constraints,
            policies=self._policies,
            dependents={key: tuple(items) for key, items in self._dependents.items()},
            sequences=self._sequences,
            triggers=self._triggers,
            enums=self._enums,
            has_history=has_history,
            has_steps=has_steps,
            matched_names=matched,
            indexes_by_table={key: tuple(items) for key, items in self._indexes_by_table.items()},
            constraints_by_table={key: tuple(items) for key, items in self._constraints_by_table.items()},
            policies_by_table={key: tuple(items) for key, items in self._policies_by_table.items()},
            triggers_by_table={key: tuple(items) for key, items in self._triggers_by_table.items()},
        )
