"""L000 syntax-error: a statement PostgreSQL's parser rejects."""

from __future__ import annotations

from collections.abc import Iterator

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.context import Hit, LintContext, LintRule


def check(context: LintContext) -> Iterator[Hit]:
    for source in context.sources:
        for problem in source.syntax_errors:
            yield Hit(problem.message, file=source.file, line=problem.line, column=problem.column)


RULE = LintRule(
    Rule(
        id="L000",
        name="syntax-error",
        title="PostgreSQL rejects this statement",
        severity=Severity.ERROR,
        rationale="The statement does not parse with PostgreSQL's own grammar (libpg_query, PostgreSQL 15). "
        "Sent as one query string, the way drivers and Prisma send a migration, nothing in the "
        "file runs at all; run statement by statement, everything after it runs without the "
        "statements it needed.",
        fix="Correct the statement. PostgreSQL has no `ADD CONSTRAINT IF NOT EXISTS`: guard the ADD "
        "CONSTRAINT in a DO block that checks pg_constraint first.",
    ),
    check,
)
