"""L048 drop-view: DROP VIEW or DROP MATERIALIZED VIEW."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import ObjectType

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.context import Hit, LintContext, LintRule
from bhq_migrate.lint.rules._helpers import dropped_names

_KINDS = {ObjectType.OBJECT_VIEW: "VIEW", ObjectType.OBJECT_MATVIEW: "MATERIALIZED VIEW"}


def check(context: LintContext) -> Iterator[Hit]:
    for statement in context.of_type(ast.DropStmt):
        node = statement.unit.node
        assert isinstance(node, ast.DropStmt)
        kind = _KINDS.get(node.removeType)
        if kind is not None:
            for name in dropped_names(node):
                yield Hit(f"DROP {kind} {name}: queries and reports that read it fail", statement.unit)


RULE = LintRule(
    Rule(
        id="L048",
        name="drop-view",
        title="Dropping a view that code or reports may read",
        severity=Severity.WARNING,
        rationale="Views are read by code the migration author may not see: reporting tools, other services, "
        "Prisma models mapped onto views. Dropping one makes all of them fail at once.",
        fix="Check who reads the view, deploy them without it, then drop it; to change a view, use CREATE OR "
        "REPLACE VIEW with the same columns.",
    ),
    check,
)
