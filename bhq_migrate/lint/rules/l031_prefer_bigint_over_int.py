"""L031 prefer-bigint-over-int: a new key column of type INTEGER or SMALLINT (SERIAL, identity, primary key)."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import ConstrType

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.context import Hit, LintContext, LintRule
from bhq_migrate.lint.rules._helpers import new_columns
from bhq_migrate.lint.types import type_from_ast

_SMALL = {"int4": "INTEGER", "int2": "SMALLINT"}


def _is_key(column: ast.ColumnDef, primary_keys: set[str]) -> bool:
    kinds = {constraint.contype for constraint in column.constraints or ()}
    return bool(kinds & {ConstrType.CONSTR_PRIMARY, ConstrType.CONSTR_IDENTITY}) or column.colname in primary_keys


def _table_primary_key(node: ast.CreateStmt) -> set[str]:
    keys: set[str] = set()
    for element in node.tableElts or ():
        if isinstance(element, ast.Constraint) and element.contype == ConstrType.CONSTR_PRIMARY:
            keys.update(getattr(key, "sval", "") for key in element.keys or ())
    return keys


def check(context: LintContext) -> Iterator[Hit]:
    for statement in context.statements:
        node = statement.unit.node
        primary_keys = _table_primary_key(node) if isinstance(node, ast.CreateStmt) else set()
        for column in new_columns(node):
            if column.typeName is None:
                continue
            type_ref = type_from_ast(column.typeName)
            if type_ref.name in _SMALL and not type_ref.is_array and (type_ref.serial or _is_key(column, primary_keys)):
                shown = type_ref.display()
                yield Hit(
                    f'key column "{column.colname}" is {shown}: it runs out at '
                    f"{'2,147,483,647' if type_ref.name == 'int4' else '32,767'}, and widening it later rewrites "
                    "the table and every table that references it",
                    statement.unit,
                    column.location,
                )


RULE = LintRule(
    Rule(
        id="L031",
        name="prefer-bigint-over-int",
        title="A key column of type INTEGER or SMALLINT",
        severity=Severity.WARNING,
        rationale="Keys only grow. When an INTEGER sequence reaches 2^31 - 1 every insert fails, and the fix, a "
        "retype to BIGINT, rewrites the table and all referencing tables under ACCESS EXCLUSIVE. The "
        "8 bytes cost almost nothing when the table is created.",
        fix="Declare keys BIGINT (BIGSERIAL, or BIGINT GENERATED ALWAYS AS IDENTITY); in Prisma, `BigInt @id "
        "@default(autoincrement())`.",
    ),
    check,
)
