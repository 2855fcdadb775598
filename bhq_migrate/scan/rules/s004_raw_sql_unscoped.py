"""S004 raw-sql-unscoped: raw SQL reads or updates a soft-deletable table without ``"deletedAt" IS NULL``.

Problem: ``$queryRaw``/``$executeRaw`` bypass every Prisma-level filter. A ``SELECT ... FROM "Invoice" i``
(or a JOIN, or an ``UPDATE``) returns or changes soft-deleted rows unless the statement says
``i."deletedAt" IS NULL`` for that table or its alias, in the WHERE or the JOIN's ON.

Solution: add ``AND <alias>."deletedAt" IS NULL`` for every soft-deletable table the statement reads.
"""

from __future__ import annotations

from collections.abc import Iterator

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.scan.model import FileContext, RawSqlSite, ScanFinding
from bhq_migrate.scan.rawsql import SqlIssue
from bhq_migrate.scan.rules import s007_needs_review

RULE = Rule(
    id="S004",
    name="raw-sql-unscoped",
    title='Raw SQL reads a soft-deletable table without "deletedAt" IS NULL',
    severity=Severity.ERROR,
    rationale="Raw SQL bypasses activeOnly() and every Prisma filter; without an explicit IS NULL on the "
    "soft-delete column of each soft-deletable table (or its alias) it returns or updates deleted rows.",
    fix='Add AND <alias>."deletedAt" IS NULL to the WHERE (or the JOIN ... ON) for each soft-deletable table.',
)


def check(site: RawSqlSite, issues: list[SqlIssue], ctx: FileContext) -> Iterator[ScanFinding]:
    for issue in issues:
        if issue.kind == "unscoped" and site.unknown_clauses:
            # the statement was read without a clause built elsewhere (${filter}): it may hold the IS NULL
            yield ctx.finding(s007_needs_review.RULE, site.anchor,
                              f"{site.method}: {issue.statement} on soft-deletable \"{issue.table}\" has no "
                              f"{issue.detail} in the SQL that can be read; a clause built elsewhere "
                              f"(a template hole in clause position) may add it", model=issue.model,
                              method=site.method)
        elif issue.kind == "unscoped":
            yield ctx.finding(RULE, site.anchor,
                              f"{site.method}: {issue.statement} on soft-deletable \"{issue.table}\" without "
                              f"{issue.detail} for it", model=issue.model, method=site.method)
