"""V005 unique-counts-soft-deleted: a unique index on a soft-delete table ignores soft-deleted rows.

Problem: on a table with ``deletedAt``, a unique index without ``WHERE "deletedAt" IS NULL`` still counts
soft-deleted rows, so a deleted contact blocks re-creating the same one. Solution: make the index partial
on live rows (and keep ON CONFLICT targets in mind: they must name the same predicate).
"""

from __future__ import annotations

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.verify.audits._base import AuditContext, Hit
from bhq_migrate.verify.expectations import quote_ident, show
from bhq_migrate.verify.expressions import canonical

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


def _mentions(predicate: str | None, column: str) -> bool:
    """Whether the predicate refers to ``column`` (looked up in its parse tree, not its text)."""
    return predicate is not None and f'{{"Column":["{column}"]}}' in canonical(predicate)


def run(context: AuditContext) -> list[Hit]:
    hits: list[Hit] = []
    snapshot = context.snapshot
    for table in snapshot.tables.values():
        soft = [name for name in context.soft_delete_columns if name in table.columns]
        if not soft:
            continue
        for index in snapshot.indexes_by_table.get(table.qname, ()):
            if not index.unique or index.primary or any(_mentions(index.predicate, column) for column in soft):
                continue
            column = soft[0]
            hits.append(
                Hit(
                    object=show(index.qname),
                    table=show(table.qname),
                    message=f"unique index {show(index.qname)} counts soft-deleted rows of {show(table.qname)}",
                    expected=f"WHERE {quote_ident(column)} IS NULL",
                    found=f"WHERE {index.predicate}" if index.predicate else "all rows",
                )
            )
    return hits
