"""Helpers every check module shares: finding the object an expectation is about, and writing fix SQL."""

from __future__ import annotations

from bhq_migrate.verify.expectations import (
    CheckSpec,
    Expectation,
    ForeignKeySpec,
    IndexSpec,
    QName,
    parse_qname,
    quote_ident,
    quote_qname,
    show,
)
from bhq_migrate.verify.results import Status, Verdict
from bhq_migrate.verify.snapshot import Column, Constraint, Index, Snapshot, Table

CONSTRAINT_TYPES = {"c": "CHECK", "f": "FOREIGN KEY", "u": "UNIQUE", "p": "PRIMARY KEY", "x": "EXCLUDE"}


def passed(message: str, expected: str | None = None, found: str | None = None) -> Verdict:
    return Verdict(status=Status.PASS, message=message, expected=expected, found=found)


def failed(message: str, expected: str | None, found: str | None, fix_sql: str | None = None,
           missing: tuple[str, ...] = (), extra: tuple[str, ...] = ()) -> Verdict:
    return Verdict(status=Status.FAIL, message=message, expected=expected, found=found, fix_sql=fix_sql,
                   missing=missing, extra=extra)


def skipped(message: str) -> Verdict:
    return Verdict(status=Status.SKIP, message=message)


def table_of(exp: Expectation) -> QName:
    assert exp.table is not None, f"{exp.kind} expectations always name their table"
    return exp.table


def find_table(exp: Expectation, snap: Snapshot) -> Table | Verdict:
    table = snap.tables.get(table_of(exp))
    return table if table is not None else skipped(f"table {show(table_of(exp))} is missing (see has_table)")


def find_column(exp: Expectation, snap: Snapshot) -> Column | Verdict:
    table = find_table(exp, snap)
    if isinstance(table, Verdict):
        return table
    column = table.columns.get(exp.name)
    return column if column is not None else skipped(f"column {exp.object} is missing (see has_column)")


def find_index(exp: Expectation, snap: Snapshot) -> Index | Verdict:
    index = snap.index_on(table_of(exp)[0], exp.name)
    return index if index is not None else skipped(f"index {exp.object} is missing (see has_index)")


def find_constraint(exp: Expectation, snap: Snapshot, kind: str) -> Constraint | Verdict:
    constraint = snap.constraint(table_of(exp), exp.name)
    if constraint is None or constraint.type != kind:
        return skipped(f"{CONSTRAINT_TYPES[kind]} constraint {exp.object} is missing")
    return constraint


def sql_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def alter_table(table: QName) -> str:
    return f"ALTER TABLE {quote_qname(table)}"


def create_index_sql(table: QName, name: str, spec: IndexSpec) -> str:
    unique = "UNIQUE " if spec.unique else ""
    method = "" if spec.method == "btree" else f" USING {spec.method}"
    keys = ", ".join(key.render() for key in spec.columns)
    where = f" WHERE {spec.where}" if spec.where else ""
    return f"CREATE {unique}INDEX CONCURRENTLY {quote_ident(name)} ON {quote_qname(table)}{method} ({keys}){where};"


def recreate_index_sql(table: QName, name: str, spec: IndexSpec) -> str:
    return (
        f"DROP INDEX CONCURRENTLY IF EXISTS {quote_qname((table[0], name))};\n"
        + create_index_sql(table, name, spec)
    )


def check_expression(spec: CheckSpec) -> str:
    if spec.expression is not None:
        return spec.expression
    assert spec.column is not None and spec.values is not None
    values = ", ".join(sql_literal(value) for value in spec.values)
    return f"{quote_ident(spec.column)} IN ({values})"


def replace_constraint_sql(table: QName, name: str, definition: str, exists: bool) -> str:
    """Add (or drop and re-add) a constraint NOT VALID, then validate it without blocking writes."""
    target = alter_table(table)
    drop = f"{target} DROP CONSTRAINT IF EXISTS {quote_ident(name)};\n" if exists else ""
    return (
        f"{drop}{target} ADD CONSTRAINT {quote_ident(name)} {definition} NOT VALID;\n"
        f"{target} VALIDATE CONSTRAINT {quote_ident(name)};"
    )


def foreign_key_definition(spec: ForeignKeySpec) -> str:
    columns = ", ".join(quote_ident(column) for column in spec.columns)
    ref_columns = ", ".join(quote_ident(column) for column in spec.ref_columns)
    target = quote_qname(parse_qname(spec.references))
    return (
        f"FOREIGN KEY ({columns}) REFERENCES {target} ({ref_columns}) "
        f"ON DELETE {spec.on_delete.upper()} ON UPDATE {spec.on_update.upper()}"
    )


def names(items: tuple[str | None, ...] | tuple[str, ...]) -> str:
    return "(" + ", ".join(item if item is not None else "<expression>" for item in items) + ")"
