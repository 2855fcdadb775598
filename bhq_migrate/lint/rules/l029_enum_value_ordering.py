"""L029 enum-value-ordering: ALTER TYPE ... ADD VALUE ... BEFORE/AFTER."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.context import Hit, LintContext, LintRule


def check(context: LintContext) -> Iterator[Hit]:
    for statement in context.of_type(ast.AlterEnumStmt):
        node = statement.unit.node
        assert isinstance(node, ast.AlterEnumStmt)
        if node.newVal and node.newValNeighbor:
            where = "AFTER" if node.newValIsAfter else "BEFORE"
            type_name = ".".join(getattr(part, "sval", "") for part in node.typeName or ())
            yield Hit(
                f"ADD VALUE '{node.newVal}' {where} '{node.newValNeighbor}' puts the new value in the middle of "
                f"{type_name}'s order: ORDER BY and range comparisons written against the old list now include it "
                "there",
                statement.unit,
            )


RULE = LintRule(
    Rule(
        id="L029",
        name="enum-value-ordering",
        title="An enum value inserted in the middle of the order",
        severity=Severity.INFO,
        rationale="Enum values compare by their declared position. A value inserted BEFORE or AFTER another lands "
        "inside ranges (`status > 'DRAFT'`) and sorts that code written against the old list did not "
        "expect; and once the order no longer follows the values' OIDs, PostgreSQL compares the type "
        "through a catalog lookup. (squawk takes the opposite stance and asks for an explicit position.)",
        fix="Append new values at the end (plain ADD VALUE), and never rely on an enum's order in queries; sort "
        "by an explicit rank column if the order matters.",
    ),
    check,
)
