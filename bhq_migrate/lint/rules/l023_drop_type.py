"""L023 drop-type: DROP TYPE (enums and composite types)."""

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
        if node.removeType in (ObjectType.OBJECT_TYPE, ObjectType.OBJECT_DOMAIN):
            for name in dropped_names(node):
                yield Hit(
                    f"DROP TYPE {name}: columns, functions and casts that use it fail or are dropped with it",
                    statement.unit,
                )


RULE = LintRule(
    Rule(
        id="L023",
        name="drop-type",
        title="Dropping a type that columns or code may use",
        severity=Severity.WARNING,
        rationale="A type (a Prisma enum is one) is used by columns and by the application's queries; dropping it "
        "fails while anything uses it, or with CASCADE silently drops those columns.",
        fix="Move every column and function off the type and deploy code that no longer sends it, then drop it "
        "in a later migration, without CASCADE.",
    ),
    check,
)
