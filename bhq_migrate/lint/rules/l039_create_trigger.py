"""L039 create-trigger: CREATE TRIGGER on an existing table."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.context import Hit, LintContext, LintRule
from bhq_migrate.lint.rules._helpers import table_label


def check(context: LintContext) -> Iterator[Hit]:
    for statement in context.of_type(ast.CreateTrigStmt):
        node = statement.unit.node
        assert isinstance(node, ast.CreateTrigStmt)
        if statement.table_existed:
            yield Hit(
                f'CREATE TRIGGER "{node.trigname}" on {table_label(node.relation)} takes SHARE ROW EXCLUSIVE (every '
                "write waits for it) and adds work to each write from then on",
                statement.unit,
            )


RULE = LintRule(
    Rule(
        id="L039",
        name="create-trigger",
        title="Creating a trigger on an existing table",
        severity=Severity.INFO,
        rationale="CREATE TRIGGER takes SHARE ROW EXCLUSIVE, which blocks every INSERT, UPDATE and DELETE while it "
        "waits for running transactions; and the trigger's function then runs in every write, hidden from "
        "the code that issues it.",
        fix="Set a short lock_timeout before it, keep the function small, and document what it does next to the "
        "model in schema.prisma.",
    ),
    check,
)
