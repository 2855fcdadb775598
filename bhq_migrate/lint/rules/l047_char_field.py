"""L047 char-field: a CHAR(n) column."""

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
            if column.typeName is not None and type_from_ast(column.typeName).name in {"bpchar", "char", "character"}:
                yield Hit(
                    f'"{column.colname}" is CHAR(n): values are blank-padded and compare with trailing spaces ignored',
                    statement.unit,
                    column.location,
                )


RULE = LintRule(
    Rule(
        id="L047",
        name="char-field",
        title="A CHAR(n) column",
        severity=Severity.WARNING,
        rationale="CHAR(n) pads values with spaces, so what the application reads back differs from what it wrote "
        "(Prisma returns the padding), and it is no faster or smaller than TEXT or VARCHAR in PostgreSQL.",
        fix="Use TEXT (or VARCHAR(n) when a limit is part of the data's meaning).",
    ),
    check,
)
