"""L027 rename-column: ALTER TABLE ... RENAME COLUMN on a table that already exists."""

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
        if node.renameType == ObjectType.OBJECT_COLUMN and statement.table_existed:
            yield Hit(
                f'RENAME COLUMN "{node.subname}" of {table_label(node.relation)} to "{node.newname}": the running '
                "code still selects the old name and fails",
                statement.unit,
            )


RULE = LintRule(
    Rule(
        id="L027",
        name="rename-column",
        title="Renaming a column breaks the code that still uses the old name",
        severity=Severity.WARNING,
        rationale="Prisma names every column of a model in its queries, so one renamed column makes every query "
        "on the model fail until the new code is deployed.",
        fix="Keep the column name and map it in code (Prisma `@map`), or add the new column, write both, backfill, "
        "switch readers, and drop the old column in a later release.",
    ),
    check,
)
