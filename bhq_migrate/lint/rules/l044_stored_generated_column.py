"""L044 stored-generated-column: ADD COLUMN ... GENERATED ALWAYS AS (...) STORED on an existing table."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import AlterTableType, ConstrType

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.analysis import display_name
from bhq_migrate.lint.context import Hit, LintContext, LintRule


def check(context: LintContext) -> Iterator[Hit]:
    for statement, cmd in context.alter_commands(AlterTableType.AT_AddColumn):
        column = cmd.def_
        if isinstance(column, ast.ColumnDef) and any(
            constraint.contype == ConstrType.CONSTR_GENERATED for constraint in column.constraints or ()
        ):
            yield Hit(
                f'stored generated column "{column.colname}" is computed for every existing row: '
                f"{display_name(statement.effect.object or '')} is rewritten under ACCESS EXCLUSIVE",
                statement.unit,
                column.location,
            )


RULE = LintRule(
    Rule(
        id="L044",
        name="stored-generated-column",
        title="Adding a stored generated column to an existing table",
        severity=Severity.WARNING,
        rationale="A STORED generated column has a value for every row, so PostgreSQL rewrites the whole table and "
        "its indexes while holding ACCESS EXCLUSIVE.",
        fix="Add a plain nullable column, fill it with a trigger for new rows and a batched backfill for old ones, "
        "or compute the value in a view or in the query.",
    ),
    check,
)
