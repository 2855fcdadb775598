"""L024 drop-default: ALTER COLUMN ... DROP DEFAULT on a table that already exists."""

from __future__ import annotations

from collections.abc import Iterator

from pglast.enums import AlterTableType

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.analysis import display_name
from bhq_migrate.lint.context import Hit, LintContext, LintRule


def check(context: LintContext) -> Iterator[Hit]:
    for statement, cmd in context.alter_commands(AlterTableType.AT_ColumnDefault):
        if cmd.def_ is not None:
            continue  # SET DEFAULT
        table = display_name(statement.effect.object or "")
        yield Hit(
            f'DROP DEFAULT on "{cmd.name}" of {table}: inserts that leave the column out now store NULL, or fail '
            "if it is NOT NULL",
            statement.unit,
            context.clause_location(statement, cmd),
        )


RULE = LintRule(
    Rule(
        id="L024",
        name="drop-default",
        title="Dropping a column default that inserts may rely on",
        severity=Severity.WARNING,
        rationale="Code that inserts without naming the column (raw SQL, other services, an older application "
        "version) relied on the default; without it those inserts store NULL or fail.",
        fix="Deploy code that always sets the column first, then drop the default in a later migration.",
    ),
    check,
)
