"""L040 drop-trigger: DROP TRIGGER (off by default, as in squawk)."""

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
        if node.removeType == ObjectType.OBJECT_TRIGGER:
            for name in dropped_names(node):
                yield Hit(f"DROP TRIGGER {name}: what it did on every write stops at once", statement.unit)


RULE = LintRule(
    Rule(
        id="L040",
        name="drop-trigger",
        title="Dropping a trigger",
        severity=Severity.INFO,
        rationale="A trigger often keeps data consistent (an audit row, a denormalised total, a copy during an "
        "online change). Dropping it while code still relies on that work silently loses it.",
        fix="Make sure nothing relies on the trigger any more; when replacing it, create the new one first.",
        enabled=False,
    ),
    check,
)
