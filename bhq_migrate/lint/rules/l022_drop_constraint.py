"""L022 drop-constraint: ALTER TABLE ... DROP CONSTRAINT on a table that already exists."""

from __future__ import annotations

from collections.abc import Iterator

from pglast.enums import AlterTableType

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.analysis import display_name
from bhq_migrate.lint.context import Hit, LintContext, LintRule


def check(context: LintContext) -> Iterator[Hit]:
    for statement, cmd in context.alter_commands(AlterTableType.AT_DropConstraint):
        table = display_name(statement.effect.object or "")
        yield Hit(
            f'DROP CONSTRAINT "{cmd.name}" of {table}: the guarantee it gave is gone for every row written from '
            "now on, and putting it back means validating the whole table again",
            statement.unit,
            context.clause_location(statement, cmd),
        )


RULE = LintRule(
    Rule(
        id="L022",
        name="drop-constraint",
        title="Dropping a constraint removes a guarantee the data relied on",
        severity=Severity.INFO,
        rationale="A dropped CHECK, UNIQUE or FOREIGN KEY stops protecting the data at once, and code may rely on "
        "it (an upsert needs its unique index; a join assumes the reference exists). Re-adding it later "
        "must re-check every row.",
        fix="Make sure no code relies on the constraint and that it is really meant to go; when it is being "
        "replaced, add the new constraint (NOT VALID, then VALIDATE) before dropping the old one.",
    ),
    check,
)
