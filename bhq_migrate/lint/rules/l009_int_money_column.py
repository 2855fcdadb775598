"""L009 int-money-column: a ``*Cents`` / ``*_cents`` column stored as a 32-bit (or 16-bit) integer."""

from __future__ import annotations

import re
from collections.abc import Iterator

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.analysis import display_name
from bhq_migrate.lint.context import Hit, LintContext, LintRule

MONEY_COLUMN = re.compile(r"(Cents|_cents|^cents)$")


def check(context: LintContext) -> Iterator[Hit]:
    for column in context.schema.columns.values():
        if column.unit is None or column.type is None or not MONEY_COLUMN.search(column.name):
            continue
        if column.type.name in {"int2", "int4"}:
            yield Hit(
                f'money column {display_name(column.table)}."{column.name}" is {column.type.display()}: it '
                "overflows at 21,474,836.47 (2^31 - 1 cents)",
                column.unit,
                column.location,
            )


RULE = LintRule(
    Rule(
        id="L009",
        name="int-money-column",
        title="INTEGER for an amount in cents",
        severity=Severity.WARNING,
        rationale="A 32-bit integer of cents tops out at $21,474,836.47; sums, refunds and multi-currency "
        "amounts pass it, and an INSERT then fails with 'integer out of range'. Retyping later "
        "rewrites the table.",
        fix="Declare money columns BIGINT from the start (Prisma: BigInt).",
    ),
    check,
)
