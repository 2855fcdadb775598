"""L006 add-column-volatile-default: ADD COLUMN whose default differs per row (forces a rewrite)."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import AlterTableType

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.analysis import display_name, is_volatile_default
from bhq_migrate.lint.context import Hit, LintContext, LintRule


def check(context: LintContext) -> Iterator[Hit]:
    for statement in context.of_type(ast.AlterTableStmt):
        if not statement.table_existed:
            continue
        node = statement.unit.node
        assert isinstance(node, ast.AlterTableStmt)
        for cmd in node.cmds or ():
            column = cmd.def_
            is_column = cmd.subtype == AlterTableType.AT_AddColumn and isinstance(column, ast.ColumnDef)
            if is_column and is_volatile_default(column):  # type: ignore[arg-type]
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
