"""L021 drop-table: DROP TABLE of a table that already exists."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import DropBehavior, ObjectType

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.context import Hit, LintContext, LintRule
from bhq_migrate.lint.rules._helpers import dropped_names


def check(context: LintContext) -> Iterator[Hit]:
    for statement in context.of_type(ast.DropStmt):
        node = statement.unit.node
        assert isinstance(node, ast.DropStmt)
        if node.removeType != ObjectType.OBJECT_TABLE:
            continue
        for name in dropped_names(node):
            qualified = name if "." in name else f"public.{name}"
            if not context.table_existed(qualified, statement.unit):
                continue
            cascade = " CASCADE also drops the views and foreign keys that depend on it;" if (
                node.behavior == DropBehavior.DROP_CASCADE
            ) else ""
            yield Hit(
                f"DROP TABLE {name}:{cascade} code still running that uses it fails, and its rows are gone",
                statement.unit,
            )


RULE = LintRule(
    Rule(
        id="L021",
        name="drop-table",
        title="Dropping a table that already exists",
        severity=Severity.WARNING,
        rationale="A dropped table cannot be brought back without a restore, and every query of the application "
        "version still running fails until the new code is deployed.",
        fix="Stop using the table in code first and deploy; keep a backup (e.g. rename it and drop it a release "
        "later), then drop it in its own migration.",
    ),
    check,
)
