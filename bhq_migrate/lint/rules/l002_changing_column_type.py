"""L002 changing-column-type: ALTER COLUMN ... TYPE (usually a full rewrite under ACCESS EXCLUSIVE)."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import AlterTableType

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.analysis import display_name
from bhq_migrate.lint.context import Hit, LintContext, LintRule
from bhq_migrate.lint.types import type_from_ast


def check(context: LintContext) -> Iterator[Hit]:
    for statement in context.of_type(ast.AlterTableStmt):
        node = statement.unit.node
        assert isinstance(node, ast.AlterTableStmt)
        table = display_name(statement.effect.object or "")
        for cmd, action in zip(node.cmds or (), statement.effect.actions, strict=True):
            if cmd.subtype != AlterTableType.AT_AlterColumnType:
                continue
            new_type = type_from_ast(cmd.def_.typeName).display()
            location = cmd.def_.typeName.location
            if action == "ALTER COLUMN TYPE binary-coercible":
                yield Hit(
                    f'ALTER COLUMN "{cmd.name}" TYPE {new_type} on {table} changes the catalog only '
                    "(no rewrite), under a brief ACCESS EXCLUSIVE lock",
                    statement.unit,
                    location,
                    Severity.INFO,
                )
            elif not statement.table_existed:
                yield Hit(
                    f'ALTER COLUMN "{cmd.name}" TYPE {new_type} rewrites {table}, a table created by these '
                    "plans (cheap while it is empty)",
                    statement.unit,
                    location,
                    Severity.INFO,
                )
            else:
                yield Hit(
                    f'ALTER COLUMN "{cmd.name}" TYPE {new_type} rewrites {table} and rebuilds its indexes '
                    "under ACCESS EXCLUSIVE: reads and writes wait for the whole rewrite",
                    statement.unit,
                    location,
                )


RULE = LintRule(
    Rule(
        id="L002",
        name="changing-column-type",
        title="Changing a column's type rewrites the table",
        severity=Severity.WARNING,
        rationale="Except for binary-coercible changes (varchar widening, varchar to text), ALTER COLUMN "
        "TYPE writes a new copy of the table and rebuilds every index while holding ACCESS "
        "EXCLUSIVE: on 2M invoices (444 MB) about 8 s per rewrite, during which even SELECTs wait."
        " Clients reading the column may also break.",
        fix="Schedule it in a maintenance window and merge all type changes of a table into one ALTER TABLE,"
        " or migrate online: copy the table with the new type in batches while a trigger logs changes, then "
        "swap names, or add a new column, backfill it and swap columns (`bhq-migrate apply --online` does "
        "the first for INT → BIGINT, the second where the table cannot be copied). When the rewrite is "
        "the point, say so: `-- bhq-migrate-ignore changing-column-type "
        "-- <reason>`.",
    ),
    check,
)
