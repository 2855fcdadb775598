"""L046 drop-database: DROP DATABASE in a migration."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.context import Hit, LintContext, LintRule


def check(context: LintContext) -> Iterator[Hit]:
    for statement in context.of_type(ast.DropdbStmt):
        node = statement.unit.node
        assert isinstance(node, ast.DropdbStmt)
        yield Hit(f"DROP DATABASE {node.dbname} in a migration", statement.unit)


RULE = LintRule(
    Rule(
        id="L046",
        name="drop-database",
        title="DROP DATABASE in a migration",
        severity=Severity.ERROR,
        rationale="A migration runs against production. Dropping a database there destroys everything in it and "
        "cannot be undone without a restore; it is never a schema change.",
        fix="Remove the statement. Drop scratch databases from a script run by hand, never from a migration.",
    ),
    check,
)
