"""L045 truncate: TRUNCATE of an existing table."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import DropBehavior

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.context import Hit, LintContext, LintRule
from bhq_migrate.lint.rules._helpers import table_label


def check(context: LintContext) -> Iterator[Hit]:
    for statement in context.of_type(ast.TruncateStmt):
        node = statement.unit.node
        assert isinstance(node, ast.TruncateStmt)
        if not statement.table_existed:
            continue
        tables = ", ".join(table_label(relation) for relation in node.relations or ())
        cascade = " CASCADE also empties every table that references it," if (
            node.behavior == DropBehavior.DROP_CASCADE
        ) else ""
        yield Hit(f"TRUNCATE {tables}:{cascade} every row of every tenant is gone", statement.unit)


RULE = LintRule(
    Rule(
        id="L045",
        name="truncate",
        title="TRUNCATE of an existing table",
        severity=Severity.WARNING,
        rationale="TRUNCATE deletes every row at once under ACCESS EXCLUSIVE, bypasses ON DELETE triggers and soft "
        "deletes, and with CASCADE empties the referencing tables as well.",
        fix="Delete (or soft-delete) the rows meant with a WHERE clause; to empty a table on purpose, say why in "
        "a suppression.",
    ),
    check,
)
