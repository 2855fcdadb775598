"""L053 drop-schema: DROP SCHEMA."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import DropBehavior, ObjectType

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.context import Hit, LintContext, LintRule
from bhq_migrate.lint.rules._helpers import dropped_names


def check(context: LintContext) -> Iterator[Hit]:
    for statement in context.of_type(ast.DropStmt):
        node = statement.unit.node
        assert isinstance(node, ast.DropStmt)
        if node.removeType != ObjectType.OBJECT_SCHEMA:
            continue
        cascade = node.behavior == DropBehavior.DROP_CASCADE
        for name in dropped_names(node):
            tail = " with every table, view and function in it" if cascade else ""
            yield Hit(f"DROP SCHEMA {name}{tail}", statement.unit, severity=Severity.ERROR if cascade else None)


RULE = LintRule(
    Rule(
        id="L053",
        name="drop-schema",
        title="Dropping a schema",
        severity=Severity.WARNING,
        rationale="DROP SCHEMA ... CASCADE removes every object in the schema, tables and data included, in one "
        "statement; the seed's rollback script does this to the whole marketplace schema.",
        fix="Drop the objects one by one after checking each is unused; a rollback should restore from a backup "
        "or a forward fix, not drop data.",
    ),
    check,
)
