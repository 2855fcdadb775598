"""L010 timestamp-without-time-zone: a TIMESTAMP column (wall-clock reading, not an instant)."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import AlterTableType

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.analysis import display_name, qualified_name
from bhq_migrate.lint.context import Hit, LintContext, LintRule
from bhq_migrate.lint.types import type_from_ast


def _typed_columns(node: object) -> Iterator[tuple[str, str, ast.TypeName]]:
    """(table, column, declared type) of every column a CREATE TABLE, ADD COLUMN or ALTER TYPE declares."""
    if isinstance(node, ast.CreateStmt):
        table = qualified_name(node.relation)
        for element in node.tableElts or ():
            if isinstance(element, ast.ColumnDef) and element.typeName is not None:
                yield table, element.colname, element.typeName
    elif isinstance(node, ast.AlterTableStmt):
        table = qualified_name(node.relation)
        for cmd in node.cmds or ():
            column = cmd.def_
            if (
                cmd.subtype in (AlterTableType.AT_AddColumn, AlterTableType.AT_AlterColumnType)
                and isinstance(column, ast.ColumnDef)
                and column.typeName is not None
            ):
                yield table, column.colname or cmd.name, column.typeName


def check(context: LintContext) -> Iterator[Hit]:
    for statement in context.statements:
        for table, column, declared in _typed_columns(statement.unit.node):
            if type_from_ast(declared).name == "timestamp":
                yield Hit(
                    f'{display_name(table)}."{column}" is TIMESTAMP without time zone: the stored value '
                    "depends on the session's TimeZone",
                    statement.unit,
                    declared.location,
                )


RULE = LintRule(
    Rule(
        id="L010",
        name="timestamp-without-time-zone",
        title="TIMESTAMP without time zone",
        severity=Severity.WARNING,
        rationale="`TIMESTAMP DEFAULT NOW()` converts the instant to the session's TimeZone and drops the "
        "offset: two sessions with different TimeZone settings stored the same instant 6 h apart.",
        fix="Use TIMESTAMPTZ (Prisma: `@db.Timestamptz(3)`). Converting later: `ALTER COLUMN c TYPE "
        "timestamptz USING c AT TIME ZONE 'UTC'` (a rewrite).",
    ),
    check,
)
