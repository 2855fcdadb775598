"""L018 partial-unique-blocks-on-conflict: a partial unique index that ``ON CONFLICT (cols)`` cannot use."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import NullTestType

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.context import Hit, LintContext, LintRule
from bhq_migrate.lint.schema import conjuncts, null_tests


def _print_sql(node: object) -> str:
    """pglast's SQL printer, imported on first use: its printer modules cost a third of lint's start-up."""
    from pglast.stream import RawStream

    return str(RawStream()(node))


def check(context: LintContext) -> Iterator[Hit]:
    for statement in context.of_type(ast.IndexStmt):
        node = statement.unit.node
        assert isinstance(node, ast.IndexStmt)
        if not node.unique or node.whereClause is None:
            continue
        keys = [element.name for element in node.indexParams or ()]
        columns = ", ".join(f'"{key}"' if key else "expr" for key in keys)
        predicate = _print_sql(node.whereClause)
        tested = null_tests(node.whereClause, NullTestType.IS_NOT_NULL)
        only_not_null = len(tested) == len(conjuncts(node.whereClause)) and tested <= set(keys)
        if only_not_null:
            yield Hit(
                f"WHERE {predicate} adds nothing (NULLs never collide in a unique index) and stops "
                f"ON CONFLICT ({columns}) from finding the index: drop the predicate",
                statement.unit,
            )
        else:
            yield Hit(
                f"ON CONFLICT ({columns}) finds this partial index only if it repeats WHERE {predicate}",
                statement.unit,
                severity=Severity.INFO,
            )


RULE = LintRule(
    Rule(
        id="L018",
        name="partial-unique-blocks-on-conflict",
        title="Partial unique index that ON CONFLICT on the same columns cannot use",
        severity=Severity.WARNING,
        rationale="`INSERT ... ON CONFLICT (a, b)` only infers a partial unique index when the statement "
        "repeats the index's predicate; otherwise it fails with 'there is no unique or exclusion "
        "constraint matching the ON CONFLICT specification'. A predicate of only `key IS NOT NULL`"
        " buys nothing for that cost.",
        fix="Drop a redundant `IS NOT NULL` predicate; for a meaningful one (soft delete), write `ON "
        'CONFLICT (a, b) WHERE "deletedAt" IS NULL` in the application.',
    ),
    check,
)
