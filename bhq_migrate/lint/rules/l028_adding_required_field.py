"""L028 adding-required-field: ADD COLUMN ... NOT NULL without a default on a table that already exists."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import AlterTableType, ConstrType

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.analysis import display_name
from bhq_migrate.lint.context import Hit, LintContext, LintRule


def _required_without_default(column: ast.ColumnDef) -> bool:
    kinds = {constraint.contype for constraint in column.constraints or ()}
    filled = {ConstrType.CONSTR_DEFAULT, ConstrType.CONSTR_IDENTITY, ConstrType.CONSTR_GENERATED}
    serial = column.typeName is not None and any(
        getattr(part, "sval", "").lower() in {"serial", "bigserial", "smallserial", "serial4", "serial8", "serial2"}
        for part in column.typeName.names or ()
    )
    return (ConstrType.CONSTR_NOTNULL in kinds or bool(column.is_not_null)) and not (kinds & filled) and not serial


def check(context: LintContext) -> Iterator[Hit]:
    for statement, cmd in context.alter_commands(AlterTableType.AT_AddColumn):
        column = cmd.def_
        if isinstance(column, ast.ColumnDef) and _required_without_default(column):
            yield Hit(
                f'ADD COLUMN "{column.colname}" NOT NULL without a DEFAULT fails on '
                f"{display_name(statement.effect.object or '')} as soon as it holds a row, and inserts from the "
                "running code, which doesn't set it, fail after",
                statement.unit,
                column.location,
            )


RULE = LintRule(
    Rule(
        id="L028",
        name="adding-required-field",
        title="A NOT NULL column added without a default",
        severity=Severity.WARNING,
        rationale="PostgreSQL cannot fill existing rows, so the statement fails on any non-empty table (Prisma "
        "reports it only at deploy time); and inserts from code that does not know the column fail too.",
        fix="Add the column with a constant DEFAULT (catalog-only since PostgreSQL 11), or add it nullable, "
        "backfill in batches, then add NOT NULL through a validated CHECK.",
    ),
    check,
)
