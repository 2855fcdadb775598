"""V003 unindexed-foreign-key: every foreign key's columns lead some valid index.

Problem: deleting or re-keying a referenced row makes PostgreSQL look up the referencing rows; without an
index on the FK columns that is a sequential scan of the referencing table per row, under a lock.
Joins along the FK suffer too. Solution: CREATE INDEX CONCURRENTLY on the FK columns.
"""

from __future__ import annotations

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.verify.audits._base import AuditContext, Hit
from bhq_migrate.verify.expectations import quote_ident, quote_qname, show
from bhq_migrate.verify.expressions import same_expression
from bhq_migrate.verify.snapshot import Constraint, Index

RULE = Rule(
    id="V003",
    name="unindexed-foreign-key",
    title="Every foreign key's columns are covered by an index.",
    severity=Severity.WARNING,
    rationale="Deleting a referenced row scans the referencing table for matches when the FK columns have "
    "no index: slow deletes that hold locks, and slow joins.",
    fix="CREATE INDEX CONCURRENTLY ON <table> (<fk columns>);",
)


def covers(index: Index, constraint: Constraint) -> bool:
    """The index's leading key columns are the FK's columns (any order), and it is not filtered by more
    than ``<fk column> IS NOT NULL`` (which the FK's own lookups always satisfy)."""
    width = len(constraint.columns)
    leading = index.key_columns[:width]
    if not index.valid or len(leading) < width or set(leading) != set(constraint.columns):
        return False
    if index.predicate is None:
        return True
    return width == 1 and same_expression(f"{quote_ident(constraint.columns[0])} IS NOT NULL", index.predicate)


def run(context: AuditContext) -> list[Hit]:
    snapshot = context.snapshot
    hits: list[Hit] = []
    for table_name, constraints in snapshot.constraints_by_table.items():
        indexes = snapshot.indexes_by_table.get(table_name, ())
        for constraint in constraints:
            if constraint.type != "f" or any(covers(index, constraint) for index in indexes):
                continue
            columns = ", ".join(quote_ident(column) for column in constraint.columns)
            index_name = quote_ident(f"{table_name[1]}_{'_'.join(constraint.columns)}_idx"[:63])
            hits.append(
                Hit(
                    object=f"{show(table_name)}.{constraint.name}",
                    table=show(table_name),
                    message=f"foreign key {show(table_name)}.{constraint.name} ({', '.join(constraint.columns)}) "
                    "has no index",
                    expected=f"an index on ({', '.join(constraint.columns)})",
                    found="none",
                    fix_sql=f"CREATE INDEX CONCURRENTLY {index_name} ON {quote_qname(table_name)} ({columns});",
                )
            )
    return hits
