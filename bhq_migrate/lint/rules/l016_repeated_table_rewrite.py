"""L016 repeated-table-rewrite: several statements of one plan each rewrite the same table."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.analysis import Effect, display_name
from bhq_migrate.lint.context import Hit, LintContext, LintRule


def check(context: LintContext) -> Iterator[Hit]:
    for source in context.sources:
        first_rewrite: dict[str, int] = {}
        count: dict[str, int] = {}
        for statement in context.statements_in(source):
            table = statement.effect.object
            if statement.effect.effect is not Effect.REWRITE or not table or not statement.table_existed:
                continue
            if isinstance(statement.unit.node, ast.DoStmt):
                continue  # the statements inside the block are counted themselves
            count[table] = count.get(table, 0) + 1
            if table not in first_rewrite:
                first_rewrite[table] = statement.unit.position()[0]
                continue
            yield Hit(
                f"rewrite number {count[table]} of {display_name(table)} in this plan (the first is on line "
                f"{first_rewrite[table]}): one ALTER TABLE with all the clauses rewrites it once",
                statement.unit,
            )


RULE = LintRule(
    Rule(
        id="L016",
        name="repeated-table-rewrite",
        title="Several statements each rewrite the same table",
        severity=Severity.WARNING,
        rationale='Each ALTER COLUMN ... TYPE is a full rewrite. Three separate statements on "Invoice" took'
        " 31-33 s under ACCESS EXCLUSIVE; the same three clauses in one ALTER TABLE took 16 s, for"
        " the same end state.",
        fix="Merge the clauses into one statement: `ALTER TABLE t ALTER COLUMN a TYPE ..., ALTER COLUMN b TYPE ...`.",
    ),
    check,
)
