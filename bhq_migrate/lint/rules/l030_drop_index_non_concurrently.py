"""L030 drop-index-non-concurrently: DROP INDEX without CONCURRENTLY on an index of an existing table."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import ObjectType

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.context import Hit, LintContext, LintRule
from bhq_migrate.lint.rules._helpers import dropped_names


def check(context: LintContext) -> Iterator[Hit]:
    for statement in context.of_type(ast.DropStmt):
        node = statement.unit.node
        assert isinstance(node, ast.DropStmt)
        if node.removeType != ObjectType.OBJECT_INDEX or node.concurrent:
            continue
        for name in dropped_names(node):
            short = name.rsplit(".", 1)[-1]
            known = [index for index in context.schema.indexes if index.name == short]
            if known and all(not context.table_existed(index.table, statement.unit) for index in known):
                continue  # an index of a table created by these files: nobody else uses it yet
            yield Hit(
                f"DROP INDEX {name} without CONCURRENTLY takes ACCESS EXCLUSIVE on its table: while it waits for "
                "running queries, every new query on the table queues",
                statement.unit,
            )


RULE = LintRule(
    Rule(
        id="L030",
        name="drop-index-non-concurrently",
        title="DROP INDEX without CONCURRENTLY",
        severity=Severity.WARNING,
        rationale="A plain DROP INDEX needs ACCESS EXCLUSIVE on the table. The drop itself is instant, but the lock "
        "waits behind every running query on the table, and every query that arrives meanwhile waits "
        "behind the lock.",
        fix="Use DROP INDEX CONCURRENTLY IF EXISTS, outside a transaction (with bhq-migrate, in a plan with the "
        "header `-- transactional: false`; with `apply --online` it is done for you).",
    ),
    check,
)
