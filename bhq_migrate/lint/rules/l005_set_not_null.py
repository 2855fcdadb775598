"""L005 set-not-null: ALTER COLUMN ... SET NOT NULL on an existing table."""

from __future__ import annotations

from collections.abc import Iterator

from pglast.enums import AlterTableType

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.analysis import display_name
from bhq_migrate.lint.context import Hit, LintContext, LintRule


def check(context: LintContext) -> Iterator[Hit]:
    for statement, cmd in context.alter_commands(AlterTableType.AT_SetNotNull):
        table = display_name(statement.effect.object or "")
        yield Hit(
            f'SET NOT NULL on "{cmd.name}" scans all of {table} under ACCESS EXCLUSIVE',
            statement.unit,
            context.clause_location(statement, cmd),
        )


RULE = LintRule(
    Rule(
        id="L005",
        name="set-not-null",
        title="SET NOT NULL on an existing column scans under ACCESS EXCLUSIVE",
        severity=Severity.WARNING,
        rationale="PostgreSQL verifies that no row is NULL by scanning the whole table while holding ACCESS "
        "EXCLUSIVE, so every query on the table waits.",
        fix="First add `CHECK (col IS NOT NULL) NOT VALID` and VALIDATE it (SHARE UPDATE EXCLUSIVE); SET NOT"
        " NULL then uses the validated constraint and skips the scan (PostgreSQL 12+); drop the CHECK "
        "afterwards.",
    ),
    check,
)
