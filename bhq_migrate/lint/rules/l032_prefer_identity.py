"""L032 prefer-identity: SERIAL/BIGSERIAL instead of an identity column (off by default)."""

from __future__ import annotations

from collections.abc import Iterator

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.context import Hit, LintContext, LintRule
from bhq_migrate.lint.rules._helpers import new_columns
from bhq_migrate.lint.types import type_from_ast


def check(context: LintContext) -> Iterator[Hit]:
    for statement in context.statements:
        node = statement.unit.node
        for column in new_columns(node):
            if column.typeName is not None and type_from_ast(column.typeName).serial:
                yield Hit(
                    f'"{column.colname}" is {type_from_ast(column.typeName).display()}: an identity column says '
                    "the same and keeps its sequence tied to the column",
                    statement.unit,
                    column.location,
                )


RULE = LintRule(
    Rule(
        id="L032",
        name="prefer-identity",
        title="SERIAL instead of an identity column",
        severity=Severity.INFO,
        rationale="SERIAL is a default that calls a separately owned sequence: grants, dumps and copies of the "
        "table can lose the link, and nothing stops code from writing its own ids. Identity columns are "
        "the SQL-standard form. Prisma itself generates SERIAL, so this rule is off by default.",
        fix="Use `BIGINT GENERATED ALWAYS AS IDENTITY` (or BY DEFAULT when code must be able to set ids).",
        enabled=False,
    ),
    check,
)
