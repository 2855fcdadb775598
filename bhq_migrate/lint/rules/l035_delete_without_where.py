"""L035 delete-without-where: DELETE from an existing table with no WHERE clause."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.context import Hit, LintContext, LintRule
from bhq_migrate.lint.rules._helpers import table_label


def check(context: LintContext) -> Iterator[Hit]:
    for statement in context.of_type(ast.DeleteStmt):
        node = statement.unit.node
        assert isinstance(node, ast.DeleteStmt)
        if node.whereClause is None and statement.table_existed:
            yield Hit(
                f"DELETE from {table_label(node.relation)} without WHERE removes every row (the tenants' data "
                "included) and locks them all until commit",
                statement.unit,
            )


RULE = LintRule(
    Rule(
        id="L035",
        name="delete-without-where",
        title="DELETE without WHERE on an existing table",
        severity=Severity.WARNING,
        rationale="A migration that deletes every row of an existing table is almost always a mistake, and in a "
        "multi-tenant database it deletes every tenant's data; BreederHQ's rules also say deletes are "
        "soft deletes.",
        fix="Add the WHERE clause that selects the rows meant; to empty a table on purpose, say so in a "
        "suppression with the reason.",
    ),
    check,
)
