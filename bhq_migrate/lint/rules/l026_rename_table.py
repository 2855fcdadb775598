"""L026 rename-table: ALTER TABLE ... RENAME TO on a table that already exists."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import ObjectType

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.context import Hit, LintContext, LintRule
from bhq_migrate.lint.rules._helpers import table_label


def check(context: LintContext) -> Iterator[Hit]:
    for statement in context.of_type(ast.RenameStmt):
        node = statement.unit.node
        assert isinstance(node, ast.RenameStmt)
        if node.renameType == ObjectType.OBJECT_TABLE and statement.table_existed:
            yield Hit(
                f"RENAME of {table_label(node.relation)} to {node.newname}: every query of the running code "
                "still names the old table and fails",
                statement.unit,
            )


RULE = LintRule(
    Rule(
        id="L026",
        name="rename-table",
        title="Renaming a table breaks the code that still uses the old name",
        severity=Severity.WARNING,
        rationale="The rename is instant, but the application version that is running names the old table in "
        "every query; all of them fail until the new code is deployed.",
        fix="Keep the old name in the database and map it in code (Prisma `@@map`), or expand and contract: new "
        "table or updatable view, dual writes, switch readers, drop the old one later.",
    ),
    check,
)
