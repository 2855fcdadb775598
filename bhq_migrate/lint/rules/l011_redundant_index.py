"""L011 redundant-index: an index whose keys lead another index (or a UNIQUE constraint) on the same table."""

from __future__ import annotations

from collections.abc import Iterator

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.analysis import display_name
from bhq_migrate.lint.context import Hit, LintContext, LintRule
from bhq_migrate.lint.schema import IndexInfo


def covers(wider: IndexInfo, narrower: IndexInfo) -> bool:
    """Does ``wider`` serve every lookup ``narrower`` serves, and enforce whatever ``narrower`` enforces?

    Its keys must start with ``narrower``'s keys, and it must index at least the same rows (no predicate, or
    the same one). A unique ``narrower`` is only covered by a unique ``wider`` on exactly the same keys.
    """
    if wider is narrower or wider.table != narrower.table:
        return False
    if wider.keys[: len(narrower.keys)] != narrower.keys:
        return False
    if wider.predicate is not None and wider.predicate_sql != narrower.predicate_sql:
        return False
    if narrower.unique:
        return wider.unique and wider.keys == narrower.keys and narrower.origin not in {"constraint", "primary key"}
    return True


def check(context: LintContext) -> Iterator[Hit]:
    indexes = context.schema.indexes
    by_table: dict[str, list[IndexInfo]] = {}  # a folder's history has hundreds of indexes: compare per table
    for index in indexes:
        by_table.setdefault(index.table, []).append(index)
    for narrower in indexes:
        for wider in by_table[narrower.table]:
            if not covers(wider, narrower):
                continue
            if covers(narrower, wider) and context.ordinal(narrower.unit) < context.ordinal(wider.unit):
                continue  # identical twins: report only the later one
            later = max((narrower, wider), key=lambda index: context.ordinal(index.unit))
            if later.unit is None:
                continue  # both already in the database: not this plan's doing
            table = display_name(narrower.table)
            yield Hit(
                f"{narrower.describe()} on {table} is redundant: {wider.describe()} already serves it; "
                f"drop {narrower.name or 'it'}",
                later.unit,
                later.location,
            )
            break


RULE = LintRule(
    Rule(
        id="L011",
        name="redundant-index",
        title="Index made redundant by a UNIQUE constraint or another index",
        severity=Severity.WARNING,
        rationale="A UNIQUE constraint already creates a B-tree index, and an index on (a, b) serves lookups"
        " on a. A second index on the same leading columns slows every write, takes space and "
        "buffer cache, and gives the planner nothing new (six such indexes in the seed's "
        "marketplace schema).",
        fix="Drop the redundant index (or do not create it); keep the one that enforces uniqueness.",
    ),
    check,
)
