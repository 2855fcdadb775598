"""L049 drop-function: DROP FUNCTION or DROP PROCEDURE."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import ObjectType

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.context import Hit, LintContext, LintRule
from bhq_migrate.lint.rules._helpers import dropped_names

_KINDS = {ObjectType.OBJECT_FUNCTION: "FUNCTION", ObjectType.OBJECT_PROCEDURE: "PROCEDURE"}


def check(context: LintContext) -> Iterator[Hit]:
    for statement in context.of_type(ast.DropStmt):
        node = statement.unit.node
        assert isinstance(node, ast.DropStmt)
        kind = _KINDS.get(node.removeType)
        if kind is not None:
            for name in dropped_names(node):
                yield Hit(
                    f"DROP {kind} {name}: triggers, policies, defaults and code that call it fail", statement.unit
                )


RULE = LintRule(
    Rule(
        id="L049",
        name="drop-function",
        title="Dropping a function that triggers, policies or code may call",
        severity=Severity.WARNING,
        rationale="Functions are called from places a migration does not show: triggers, column defaults, "
        "row-level-security policies, raw SQL in the application. Dropping one breaks those at once.",
        fix="Use CREATE OR REPLACE FUNCTION to change a function; drop it only after nothing calls it.",
    ),
    check,
)
