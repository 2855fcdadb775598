"""S006 raw-sql-unparsed: raw SQL the scan could not check (does not parse, or built at run time).

Problem: SQL that sqlglot (postgres dialect) cannot parse, or that is assembled from strings at run time,
cannot be checked for soft-delete filters. Reported for information, never a crash.

Solution: review it by hand; prefer ``Prisma.sql`` templates with literal SQL text so the scan can read them.
"""

from __future__ import annotations

from collections.abc import Iterator

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.scan.model import FileContext, RawSqlSite, ScanFinding
from bhq_migrate.scan.rawsql import SqlIssue

RULE = Rule(
    id="S006",
    name="raw-sql-unparsed",
    title="Raw SQL could not be parsed or is built at run time; not checked",
    severity=Severity.INFO,
    rationale="The scan reads raw SQL with sqlglot; text it cannot parse or cannot see cannot be checked "
    "for soft-delete filters.",
    fix="Review the SQL by hand; keep raw SQL as a literal Prisma.sql template so it can be checked.",
)


def check(site: RawSqlSite, issues: list[SqlIssue], ctx: FileContext) -> Iterator[ScanFinding]:
    if site.sql is None:
        yield ctx.finding(RULE, site.anchor, f"{site.method}: {site.why_not_static}; not checked",
                          method=site.method)
        return
    for issue in issues:
        if issue.kind == "unparsed":
            yield ctx.finding(RULE, site.anchor, f"{site.method}: SQL not checked ({issue.detail})",
                              method=site.method)
