"""L013 unique-index-counts-soft-deleted: a unique index on a soft-delete table that includes deleted rows."""

from __future__ import annotations

from collections.abc import Iterator

from pglast.enums import NullTestType

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.analysis import display_name
from bhq_migrate.lint.context import Hit, LintContext, LintRule
from bhq_migrate.lint.schema import SOFT_DELETE_COLUMNS, null_tests


def check(context: LintContext) -> Iterator[Hit]:
    schema = context.schema
    for index in schema.indexes:
        if index.unit is None or not index.unique or index.origin == "primary key":
            continue
        if not schema.has_soft_delete(index.table):
            continue
        if null_tests(index.predicate, NullTestType.IS_NULL) & SOFT_DELETE_COLUMNS:
            continue
        if any(key.strip('"') in SOFT_DELETE_COLUMNS for key in index.keys):
            continue
        column = next(name for name in SOFT_DELETE_COLUMNS if (index.table, name) in schema.columns)
        yield Hit(
            f"{index.describe()} on soft-delete table {display_name(index.table)} counts deleted rows: a "
            f'soft-deleted row blocks re-creating the same key (add WHERE "{column}" IS NULL)',
            index.unit,
            index.location,
        )


RULE = LintRule(
    Rule(
        id="L013",
        name="unique-index-counts-soft-deleted",
        title="Unique index on a soft-delete table includes deleted rows",
        severity=Severity.WARNING,
        rationale="On a table with a deletedAt column, deleted rows stay in the table. A unique index over "
        "all rows keeps enforcing uniqueness against them, so a deleted contact blocks re-creating"
        " the same (marketplaceUserId, tenantId) pair.",
        fix='Make the index partial: `... WHERE "deletedAt" IS NULL` (and repeat that predicate in ON CONFLICT).',
    ),
    check,
)
