"""L020 drop-column: ALTER TABLE ... DROP COLUMN on a table that already exists."""

from __future__ import annotations

from collections.abc import Iterator

from pglast.enums import AlterTableType

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.analysis import display_name
from bhq_migrate.lint.context import Hit, LintContext, LintRule


def check(context: LintContext) -> Iterator[Hit]:
    for statement, cmd in context.alter_commands(AlterTableType.AT_DropColumn):
        table = display_name(statement.effect.object or "")
        yield Hit(
            f'DROP COLUMN "{cmd.name}" of {table}: application code still running selects or writes it and '
            "fails until it is deployed without the column",
            statement.unit,
            context.clause_location(statement, cmd),
        )


RULE = LintRule(
    Rule(
        id="L020",
        name="drop-column",
        title="Dropping a column breaks the code that still uses it",
        severity=Severity.WARNING,
        rationale="During a deploy the old application version keeps running. Prisma selects every column of a "
        "model by name, so every query on the model fails with 'column does not exist' from the moment "
        "the column is dropped until the new code is live. The data is gone for good.",
        fix="Contract in two releases: first deploy code that no longer reads or writes the column (remove it "
        "from schema.prisma), then drop it in a later migration.",
    ),
    check,
)
