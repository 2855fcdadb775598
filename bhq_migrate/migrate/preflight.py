"""Pre-flight: everything that would make a pending plan fail or hurt, found before anything changes.

It reads the plans' statements through PostgreSQL's own parser (pglast), works out which tables and
columns they need, which columns they retype and which unique indexes they build, then asks the shared
catalog (:mod:`bhq_migrate.catalog`: the needed tables' columns, and what depends on the retyped columns)
in a few set-based queries. Every problem is reported at once; nothing is written.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import psycopg
from pglast import ast
from pglast.enums.parsenodes import AlterTableType
from pglast.stream import RawStream
from psycopg import sql
from pydantic import BaseModel, ConfigDict

from bhq_migrate.catalog import Catalog, Part, Table, read_catalog
from bhq_migrate.plans import Plan, Statement

Connection = psycopg.Connection[Any]
TableKey = tuple[str, str]

# Measured in docs/seed-audit.md: one ALTER COLUMN ... TYPE rewrite of 444 MB took about 8 s (2 vCPU VM).
REWRITE_BYTES_PER_SECOND = 444 * 1024 * 1024 / 8
DUPLICATE_SAMPLE = 20


class PreflightProblem(BaseModel):
    model_config = ConfigDict(frozen=True)

    plan: str
    severity: Literal["error", "warning"]
    code: str
    message: str
    details: tuple[str, ...] = ()


@dataclass
class _Needs:
    """What the pending plans require of the database, in statement order."""

    columns: list[tuple[str, Statement, TableKey, str | None]] = field(default_factory=list)
    retypes: list[tuple[str, Statement, TableKey, str, str]] = field(default_factory=list)
    unique_builds: list[tuple[str, Statement, TableKey, list[str], str | None, str]] = field(default_factory=list)


def _table_key(relation: ast.RangeVar) -> TableKey:
    return (relation.schemaname or "public", relation.relname)


def display(key: TableKey) -> str:
    schema, name = key
    quoted = sql.Identifier(name).as_string(None) if name != name.lower() else name
    return quoted if schema == "public" else f"{schema}.{quoted}"


def _collect(plans: Sequence[Plan]) -> _Needs:
    needs = _Needs()
    created: set[TableKey] = set()
    added: set[tuple[TableKey, str]] = set()
    for plan in plans:
        for statement in plan.statements:
            node = statement.node  # parsed once, shared with the runner, lint and the online planner
            if isinstance(node, ast.CreateStmt):
                created.add(_table_key(node.relation))
            elif isinstance(node, ast.AlterTableStmt) and node.relation is not None:
                _collect_alter(plan.id, statement, node, created, added, needs)
            elif isinstance(node, ast.IndexStmt):
                _collect_index(plan.id, statement, node, created, added, needs)
    return needs


def _collect_alter(
    plan_id: str, statement: Statement, node: ast.AlterTableStmt,
    created: set[TableKey], added: set[tuple[TableKey, str]], needs: _Needs,
) -> None:
    table = _table_key(node.relation)
    if table in created:
        return
    needs.columns.append((plan_id, statement, table, None))
    for cmd in node.cmds or ():
        if cmd.subtype == AlterTableType.AT_AddColumn and isinstance(cmd.def_, ast.ColumnDef):
            added.add((table, cmd.def_.colname))
        elif (
            cmd.subtype == AlterTableType.AT_AlterColumnType
            and isinstance(cmd.def_, ast.ColumnDef)
            and (table, cmd.name) not in added
        ):
            needs.columns.append((plan_id, statement, table, cmd.name))
            needs.retypes.append((plan_id, statement, table, cmd.name, RawStream()(cmd.def_.typeName)))


def _collect_index(
    plan_id: str, statement: Statement, node: ast.IndexStmt,
    created: set[TableKey], added: set[tuple[TableKey, str]], needs: _Needs,
) -> None:
    table = _table_key(node.relation)
    if table in created:
        return
    needs.columns.append((plan_id, statement, table, None))
    plain_columns = [param.name for param in node.indexParams or () if param.name]
    for column in plain_columns:
        if (table, column) not in added:
            needs.columns.append((plan_id, statement, table, column))
    expressions_only = len(plain_columns) != len(node.indexParams or ())
    if node.unique and not expressions_only:
        predicate = RawStream()(node.whereClause) if node.whereClause is not None else None
        needs.unique_builds.append((plan_id, statement, table, plain_columns, predicate, node.idxname or ""))


def _read(conn: Connection, needs: _Needs) -> Catalog:
    """The tables the plans touch, with their columns; and, if the plans retype columns, their dependents."""
    tables = {table for _, _, table, _ in needs.columns}
    parts = Part.COLUMNS | (Part.DEPENDENTS if needs.retypes else Part(0))
    return read_catalog(conn, parts, schemas={schema for schema, _ in tables}, tables=tables)


def run_preflight(
    conn: Connection, plans: Sequence[Plan], *, slow_rewrite_seconds: float = 10.0,
    online_tables: Collection[TableKey] = (),
) -> list[PreflightProblem]:
    """Every problem the pending ``plans`` would hit on this database; reads only. Tables in ``online_tables``
    are retyped online before the plan (``apply --online-retype``), so no long rewrite is predicted for them."""
    needs = _collect(plans)
    if not needs.columns:
        return []
    catalog = _read(conn, needs)
    problems = _missing_objects(needs, catalog.tables)
    problems += _retype_problems(conn, needs, catalog, slow_rewrite_seconds, online_tables)
    problems += _duplicate_problems(conn, needs, catalog.tables)
    return problems


def _missing_objects(needs: _Needs, facts: Mapping[TableKey, Table]) -> list[PreflightProblem]:
    problems: list[PreflightProblem] = []
    reported: set[tuple[TableKey, str | None]] = set()
    for plan_id, statement, table, column in needs.columns:
        if table not in facts:
            key: tuple[TableKey, str | None] = (table, None)
            message = f"required table {display(table)} does not exist"
        elif column is not None and column not in facts[table].columns:
            key = (table, column)
            message = f'required column {display(table)}."{column}" does not exist'
        else:
            continue
        if key not in reported:
            reported.add(key)
            problems.append(PreflightProblem(
                plan=plan_id, severity="error", code="missing-object",
                message=f"{message} (needed at line {statement.line}); is this the BreederHQ database?",
            ))
    return problems


def _retype_problems(
    conn: Connection, needs: _Needs, catalog: Catalog, slow_seconds: float, online_tables: Collection[TableKey] = (),
) -> list[PreflightProblem]:
    facts = catalog.tables
    present = [(p, s, t, c, ty) for p, s, t, c, ty in needs.retypes if t in facts and c in facts[t].columns]
    if not present:
        return []
    target_oids = dict(conn.execute(
        "SELECT name, to_regtype(name)::oid::bigint FROM unnest(%s::text[]) AS name",
        (sorted({target for *_, target in present}),),
    ).fetchall())
    problems: list[PreflightProblem] = []
    plan_of = {(t, c): p for p, _, t, c, _ in present}
    for (table, column), plan_id in sorted(plan_of.items()):
        for dependent in catalog.dependents.get((table, column), ()):
            if dependent.view_sql is None:
                continue  # ALTER COLUMN ... TYPE rebuilds indexes and constraints itself; views make it fail
            label = "materialized view" if dependent.view_kind == "m" else "view"
            problems.append(PreflightProblem(
                plan=plan_id, severity="error", code="dependent-view",
                message=f'{label} {dependent.view_sql} depends on {display(table)}."{column}", which the plan '
                "retypes: ALTER COLUMN ... TYPE would fail; drop and recreate the view around the migration",
            ))
    rewrites: dict[TableKey, tuple[str, list[str]]] = {}
    for plan_id, _statement, table, column, target in present:
        if facts[table].columns[column].type_oid != target_oids.get(target) and table not in online_tables:
            rewrites.setdefault(table, (plan_id, []))[1].append(column)
    for table, (plan_id, columns) in rewrites.items():
        table_facts = facts[table]
        seconds = table_facts.total_bytes / REWRITE_BYTES_PER_SECOND
        if seconds >= slow_seconds:
            problems.append(PreflightProblem(
                plan=plan_id, severity="warning", code="long-rewrite",
                message=f"retyping {', '.join(columns)} rewrites {display(table)} "
                f"(~{table_facts.estimated_rows:,} rows, {table_facts.total_bytes / 2**20:,.0f} MiB): "
                f"about {seconds:,.0f} s under ACCESS EXCLUSIVE; schedule a quiet window, or use apply --online-retype",
            ))
    return problems


def _duplicate_problems(conn: Connection, needs: _Needs, facts: Mapping[TableKey, Table]) -> list[PreflightProblem]:
    problems: list[PreflightProblem] = []
    for plan_id, statement, table, columns, predicate, index_name in needs.unique_builds:
        if table not in facts or any(column not in facts[table].columns for column in columns):
            continue  # already reported as missing
        duplicates = _find_duplicates(conn, table, columns, predicate, "id" in facts[table].columns)
        if not duplicates:
            continue
        shown = ", ".join(f'"{c}"' for c in columns)
        details = tuple(
            f"({shown}) = ({', '.join(str(v) for v in values)}): {count} rows"
            + (f" (ids {', '.join(str(i) for i in ids)})" if ids else "")
            for values, count, ids in duplicates
        )
        problems.append(PreflightProblem(
            plan=plan_id, severity="error", code="duplicate-keys",
            message=f'unique index "{index_name}" (line {statement.line}) cannot be built: '
            f"{len(duplicates)}{'+' if len(duplicates) >= DUPLICATE_SAMPLE else ''} duplicate key(s) in "
            f"{display(table)}; merge or soft-delete the duplicates first",
            details=details,
        ))
    return problems


def _find_duplicates(
    conn: Connection, table: TableKey, columns: list[str], predicate: str | None, has_id: bool
) -> list[tuple[tuple[Any, ...], int, list[Any]]]:
    # NULLs never collide in a unique index, so rows with a NULL key column cannot be duplicates.
    keys = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    conditions = [sql.SQL("{} IS NOT NULL").format(sql.Identifier(c)) for c in columns]
    if predicate:
        conditions.append(sql.SQL("({})").format(sql.SQL(cast("Any", predicate))))
    ids = sql.SQL('array_agg("id" ORDER BY "id")') if has_id else sql.SQL("ARRAY[]::int[]")
    query = sql.SQL(
        "SELECT {keys}, count(*), {ids} FROM {table} WHERE {where} GROUP BY {keys} HAVING count(*) > 1 "
        "ORDER BY count(*) DESC, {keys} LIMIT {limit}"
    ).format(
        keys=keys, ids=ids, table=sql.Identifier(*table), where=sql.SQL(" AND ").join(conditions),
        limit=sql.Literal(DUPLICATE_SAMPLE),
    )
    width = len(columns)
    return [(tuple(row[:width]), row[width], list(row[width + 1])) for row in conn.execute(query).fetchall()]
