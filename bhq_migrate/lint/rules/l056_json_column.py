"""L056 json-column: a column of type json instead of jsonb."""

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
            if column.typeName is not None and type_from_ast(column.typeName).name == "json":
                yield Hit(
                    f'"{column.colname}" is json: it has no equality operator (DISTINCT, GROUP BY, UNION and '
                    "unique indexes fail on it) and is re-parsed on every read",
                    statement.unit,
                    column.location,
                )


RULE = LintRule(
    Rule(
        id="L056",
        name="json-column",
        title="A json column instead of jsonb",
        severity=Severity.INFO,
        rationale="json stores the text as given: it cannot be compared for equality, so SELECT DISTINCT, GROUP BY "
        "and UNION over the row fail, it cannot be indexed with GIN, and every access parses it again. "
        "Prisma's `Json` maps to jsonb for this reason.",
        fix="Use jsonb (Prisma: `Json`, not `Json @db.Json`).",
    ),
    check,
)
