"""L034 update-without-where: UPDATE of an existing table with no WHERE clause."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.context import Hit, LintContext, LintRule
from bhq_migrate.lint.rules._helpers import table_label


def check(context: LintContext) -> Iterator[Hit]:
    for statement in context.of_type(ast.UpdateStmt):
        node = statement.unit.node
        assert isinstance(node, ast.UpdateStmt)
        if node.whereClause is None and statement.table_existed:
            yield Hit(
                f"UPDATE of {table_label(node.relation)} without WHERE changes every row in one transaction: each row "
                "stays locked until commit and the table doubles in size until vacuumed",
                statement.unit,
            )


RULE = LintRule(
    Rule(
        id="L034",
        name="update-without-where",
        title="UPDATE without WHERE on an existing table",
        severity=Severity.WARNING,
        rationale="A whole-table UPDATE writes a new version of every row and holds a row lock on each until the "
        "transaction ends, so every application write to those rows waits; on a big table it also bloats "
        "the table and its indexes.",
        fix="Backfill in batches of a few thousand rows, each in its own transaction (`WHERE id BETWEEN ...` and "
        "a condition that skips rows already done), outside the schema migration.",
    ),
    check,
)
