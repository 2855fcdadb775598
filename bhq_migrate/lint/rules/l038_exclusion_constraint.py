"""L038 exclusion-constraint: ADD CONSTRAINT ... EXCLUDE on an existing table."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import AlterTableType, ConstrType

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.analysis import display_name
from bhq_migrate.lint.context import Hit, LintContext, LintRule


def check(context: LintContext) -> Iterator[Hit]:
    for statement, cmd in context.alter_commands(AlterTableType.AT_AddConstraint):
        constraint = cmd.def_
        if isinstance(constraint, ast.Constraint) and constraint.contype == ConstrType.CONSTR_EXCLUSION:
            yield Hit(
                f"EXCLUDE constraint on {display_name(statement.effect.object or '')} builds its index and checks "
                "every row under ACCESS EXCLUSIVE; it has no NOT VALID or CONCURRENTLY form",
                statement.unit,
                context.clause_location(statement, cmd),
            )


RULE = LintRule(
    Rule(
        id="L038",
        name="exclusion-constraint",
        title="Adding an exclusion constraint to an existing table",
        severity=Severity.WARNING,
        rationale="Unlike CHECK and FOREIGN KEY, an exclusion constraint cannot be added NOT VALID, and unlike "
        "UNIQUE it cannot adopt an index built CONCURRENTLY: the table is unreadable while the index is "
        "built.",
        fix="Add it while the table is small, in a maintenance window, or enforce the rule in a trigger that "
        "checks new rows only.",
    ),
    check,
)
