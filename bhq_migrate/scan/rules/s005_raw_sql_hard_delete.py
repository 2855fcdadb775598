"""S005 raw-sql-hard-delete: raw ``DELETE FROM`` a soft-deletable table.

Problem: the raw-SQL twin of S002: ``DELETE FROM "Invoice"`` removes rows that must only be marked deleted.

Solution: ``UPDATE "Invoice" SET "deletedAt" = now() WHERE ...``.
"""

from __future__ import annotations

from collections.abc import Iterator

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.scan.model import FileContext, RawSqlSite, ScanFinding
from bhq_migrate.scan.rawsql import SqlIssue

RULE = Rule(
    id="S005",
    name="raw-sql-hard-delete",
    title="Raw SQL DELETE from a soft-deletable table",
    severity=Severity.ERROR,
    rationale="Raw DELETE on a soft-deletable table removes rows that the soft-delete design keeps for "
    "references, history and audits.",
    fix='Use UPDATE <table> SET "deletedAt" = now() WHERE ... instead of DELETE.',
)


def check(site: RawSqlSite, issues: list[SqlIssue], ctx: FileContext) -> Iterator[ScanFinding]:
    for issue in issues:
        if issue.kind == "hard-delete":
            yield ctx.finding(RULE, site.anchor,
                              f"{site.method}: DELETE FROM soft-deletable \"{issue.table}\"",
                              model=issue.model, method=site.method)
