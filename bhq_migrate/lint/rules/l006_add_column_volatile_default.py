"""L006 add-column-volatile-default: ADD COLUMN whose default differs per row (forces a rewrite)."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import AlterTableType

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.analysis import display_name, is_volatile_default
from bhq_migrate.lint.context import Hit, LintContext, LintRule


def check(context: LintContext) -> Iterator[Hit]:
    for statement, cmd in context.alter_commands(AlterTableType.AT_AddColumn):
        column = cmd.def_
        if isinstance(column, ast.ColumnDef) and is_volatile_default(column):
            yield Hit(
                f'ADD COLUMN "{column.colname}" has a per-row default: it rewrites '
                f"{display_name(statement.effect.object or '')} under ACCESS EXCLUSIVE",
                statement.unit,
                column.location,
            )


RULE = LintRule(
    Rule(
        id="L006",
        name="add-column-volatile-default",
        title="ADD COLUMN with a volatile default rewrites the table",
        severity=Severity.WARNING,
        rationale="Since PostgreSQL 11 a constant (or stable, like now()) default is stored once in the "
        "catalog. A volatile default (random(), gen_random_uuid(), clock_timestamp(), SERIAL's "
        "nextval, identity, stored generated columns) must be computed for every existing row: a "
        "full rewrite under ACCESS EXCLUSIVE.",
        fix="Add the column without a default (or with a constant one), set the volatile default with `ALTER"
        " COLUMN ... SET DEFAULT` for new rows, and backfill existing rows in batches.",
    ),
    check,
)
