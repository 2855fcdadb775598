"""L042 refresh-matview-non-concurrently: REFRESH MATERIALIZED VIEW without CONCURRENTLY."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.context import Hit, LintContext, LintRule
from bhq_migrate.lint.rules._helpers import table_label


def check(context: LintContext) -> Iterator[Hit]:
    for statement in context.of_type(ast.RefreshMatViewStmt):
        node = statement.unit.node
        assert isinstance(node, ast.RefreshMatViewStmt)
        if not node.concurrent and not node.skipData:
            yield Hit(
                f"REFRESH MATERIALIZED VIEW {table_label(node.relation)} without CONCURRENTLY: the view is "
                "unreadable until the query behind it has run again",
                statement.unit,
            )


RULE = LintRule(
    Rule(
        id="L042",
        name="refresh-matview-non-concurrently",
        title="REFRESH MATERIALIZED VIEW without CONCURRENTLY",
        severity=Severity.WARNING,
        rationale="A plain refresh takes ACCESS EXCLUSIVE on the materialized view for as long as its query runs, "
        "so every read of the view waits.",
        fix="Give the view a unique index and use REFRESH MATERIALIZED VIEW CONCURRENTLY outside a transaction.",
    ),
    check,
)
