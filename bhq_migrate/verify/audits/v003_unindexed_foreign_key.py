"""V003 unindexed-foreign-key: every foreign key's columns lead some valid index.

Problem: deleting or re-keying a referenced row makes PostgreSQL look up the referencing rows; without an
index on the FK columns that is a sequential scan of the referencing table per row, under a lock.
Joins along the FK suffer too. Solution: CREATE INDEX CONCURRENTLY on the FK columns.
"""

from __future__ import annotations

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.verify.audits._base import AuditContext, Hit
from bhq_migrate.verify.expectations import quote_ident, quote_qname, show

RULE = Rule(
    id="V003",
    name="unindexed-foreign-key",
    title="Every foreign key's columns are covered by an index.",
    severity=Severity.WARNING,
    rationale="Deleting a referenced row scans the referencing table for matches when the FK columns have "
    "no index: slow deletes that hold locks, and slow joins.",
    fix="CREATE INDEX CONCURRENTLY ON <table> (<fk columns>);",
)


QUERY = "audit_v003"


def run(context: AuditContext) -> list[Hit]:
    hits: list[Hit] = []
    for schema, table, constraint, columns in context.rows(RULE.id):
        qname = (schema, table)
        listed = ", ".join(columns)
        index_name = quote_ident(f"{table}_{'_'.join(columns)}_idx"[:63])
        quoted = ", ".join(quote_ident(column) for column in columns)
        hits.append(
            Hit(
                object=f"{show(qname)}.{constraint}",
                table=show(qname),
                message=f"foreign key {show(qname)}.{constraint} ({listed}) has no index",
                expected=f"an index on ({listed})",
                found="none",
                fix_sql=f"CREATE INDEX CONCURRENTLY {index_name} ON {quote_qname(qname)} ({quoted});",
            )
        )
    return hits
