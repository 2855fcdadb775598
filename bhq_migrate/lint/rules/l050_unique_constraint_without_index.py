"""L050 unique-constraint-without-index: ADD UNIQUE/PRIMARY KEY on an existing table without USING INDEX."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import AlterTableType, ConstrType

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.analysis import display_name
from bhq_migrate.lint.context import Hit, LintContext, LintRule

_KINDS = {ConstrType.CONSTR_UNIQUE: "UNIQUE", ConstrType.CONSTR_PRIMARY: "PRIMARY KEY"}


def check(context: LintContext) -> Iterator[Hit]:
    for statement, cmd in context.alter_commands(AlterTableType.AT_AddConstraint):
        constraint = cmd.def_
        if not isinstance(constraint, ast.Constraint) or constraint.indexname:
            continue
        kind = _KINDS.get(constraint.contype)
        if kind is not None:
            yield Hit(
                f"ADD {kind} on {display_name(statement.effect.object or '')} builds its index under ACCESS "
                "EXCLUSIVE: the table is unreadable for the whole build",
                statement.unit,
                context.clause_location(statement, cmd),
            )


RULE = LintRule(
    Rule(
        id="L050",
        name="unique-constraint-without-index",
        title="ADD UNIQUE or PRIMARY KEY that builds its index under ACCESS EXCLUSIVE",
        severity=Severity.WARNING,
        rationale="ADD CONSTRAINT ... UNIQUE (or PRIMARY KEY) builds the index inside ALTER TABLE, holding ACCESS "
        "EXCLUSIVE for the whole build, so even reads stop.",
        fix="Build the index first with CREATE UNIQUE INDEX CONCURRENTLY, then `ADD CONSTRAINT name UNIQUE USING "
        "INDEX idx` (catalog only).",
    ),
    check,
)
