"""L041 reindex-non-concurrently: REINDEX without CONCURRENTLY."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.context import Hit, LintContext, LintRule


def check(context: LintContext) -> Iterator[Hit]:
    for statement in context.of_type(ast.ReindexStmt):
        node = statement.unit.node
        assert isinstance(node, ast.ReindexStmt)
        concurrent = any(getattr(param, "defname", "") == "concurrently" for param in node.params or ())
        if not concurrent:
            target = node.relation.relname if node.relation is not None else (node.name or "")
            yield Hit(
                f"REINDEX {target} without CONCURRENTLY blocks writes to the table (and reads that use the index) "
                "while the index is rebuilt",
                statement.unit,
            )


RULE = LintRule(
    Rule(
        id="L041",
        name="reindex-non-concurrently",
        title="REINDEX without CONCURRENTLY",
        severity=Severity.WARNING,
        rationale="REINDEX takes a SHARE lock on the table and ACCESS EXCLUSIVE on the index for the whole rebuild, "
        "so writes stop and queries that would use the index wait.",
        fix="Use REINDEX ... CONCURRENTLY (PostgreSQL 12+) outside a transaction.",
    ),
    check,
)
