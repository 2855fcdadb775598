"""V005 unique-counts-soft-deleted: a unique index on a soft-delete table ignores soft-deleted rows.

Problem: on a table with ``deletedAt``, a unique index without ``WHERE "deletedAt" IS NULL`` still counts
soft-deleted rows, so a deleted contact blocks re-creating the same one. Solution: make the index partial
on live rows (and keep ON CONFLICT targets in mind: they must name the same predicate).
"""

from __future__ import annotations

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.verify.audits._base import AuditContext, Hit
from bhq_migrate.verify.expectations import quote_ident, show

RULE = Rule(
    id="V005",
    name="unique-counts-soft-deleted",
    title="A unique index on a soft-delete table excludes soft-deleted rows.",
    severity=Severity.WARNING,
    rationale="A unique index that still counts soft-deleted rows makes a deleted row block re-creating "
    "the same key (e.g. a deleted contact blocks re-adding that marketplace user).",
    fix='Rebuild it as a partial unique index: ... WHERE "deletedAt" IS NULL (CREATE UNIQUE INDEX '
    "CONCURRENTLY the new one, then DROP INDEX CONCURRENTLY the old one).",
)


QUERY = "audit_v005"


def run(context: AuditContext) -> list[Hit]:
    hits: list[Hit] = []
    for schema, table, index, predicate, column in context.rows(RULE.id):
        qname = (schema, table)
        hits.append(
            Hit(
                object=show((schema, index)),
                table=show(qname),
                message=f"unique index {show((schema, index))} counts soft-deleted rows of {show(qname)}",
                expected=f"WHERE {quote_ident(column)} IS NULL",
                found=f"WHERE {predicate}" if predicate else "all rows",
            )
        )
    return hits
