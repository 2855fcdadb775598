"""L017 constant-partial-index: a partial index whose predicate makes every key identical."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import NullTestType

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.context import Hit, LintContext, LintRule
from bhq_migrate.lint.schema import null_tests


def check(context: LintContext) -> Iterator[Hit]:
    for statement in context.of_type(ast.IndexStmt):
        node = statement.unit.node
        assert isinstance(node, ast.IndexStmt)
        if node.whereClause is None or not node.indexParams:
            continue
        keys = [element.name for element in node.indexParams]
        constant = null_tests(node.whereClause, NullTestType.IS_NULL)
        if all(key is not None and key in constant for key in keys):
            shown = ", ".join(f'"{key}"' for key in keys)
            yield Hit(
                f"every key of this index ({shown}) is NULL by its own WHERE clause: all entries are "
                "identical, so it cannot narrow a search",
                statement.unit,
            )


RULE = LintRule(
    Rule(
        id="L017",
        name="constant-partial-index",
        title="Partial index whose predicate makes every key identical",
        severity=Severity.WARNING,
        rationale='`CREATE INDEX ON t ("deletedAt") WHERE "deletedAt" IS NULL` indexes only NULL keys: every'
        " entry is the same, so it is a costly list of live rows that a scan or a better index "
        "beats.",
        fix='Index the columns the queries filter or sort on, with the predicate: e.g. `("tenantId", '
        '"createdAt") WHERE "deletedAt" IS NULL`.',
    ),
    check,
)
