"""L025 drop-not-null: ALTER COLUMN ... DROP NOT NULL on a table that already exists."""

from __future__ import annotations

from collections.abc import Iterator

from pglast.enums import AlterTableType

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.analysis import display_name
from bhq_migrate.lint.context import Hit, LintContext, LintRule


def check(context: LintContext) -> Iterator[Hit]:
    for statement, cmd in context.alter_commands(AlterTableType.AT_DropNotNull):
        table = display_name(statement.effect.object or "")
        yield Hit(
            f'DROP NOT NULL on "{cmd.name}" of {table}: code that reads the column may not expect NULL',
            statement.unit,
            context.clause_location(statement, cmd),
        )


RULE = LintRule(
    Rule(
        id="L025",
        name="drop-not-null",
        title="Making a column nullable that readers assume is set",
        severity=Severity.INFO,
        rationale="Readers typed from the old schema (Prisma's generated types say `string`, not `string | null`) "
        "break on the first NULL written after the change; putting NOT NULL back needs a full scan.",
        fix="Regenerate the client and deploy code that handles NULL before rows with NULL are written; say why in "
        "a suppression when the change is intended.",
    ),
    check,
)
