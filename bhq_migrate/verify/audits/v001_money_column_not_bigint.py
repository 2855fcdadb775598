"""V001 money-column-not-bigint: every money column is BIGINT.

Problem: an INTEGER cents column overflows at 21,474,836.47; the insert that crosses it fails with
``integer out of range`` in production. Solution: retype to BIGINT (a table rewrite: schedule it, or use
the online shadow-column procedure for large tables).
"""

from __future__ import annotations

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.verify.audits._base import AuditContext, Hit
from bhq_migrate.verify.expectations import quote_ident, quote_qname, show

RULE = Rule(
    id="V001",
    name="money-column-not-bigint",
    title="Every money column (*Cents, *_cents) is BIGINT.",
    severity=Severity.ERROR,
    rationale="INTEGER cents overflow at 21,474,836.47: the write that crosses it fails with "
    "'integer out of range'. The seed's whole Phase 1 exists to fix this.",
    fix="ALTER TABLE ... ALTER COLUMN ... TYPE BIGINT (rewrites the table: schedule it, merge the "
    "retypes of one table into one ALTER TABLE, or go online with a shadow column).",
)


QUERY = "audit_v001"


def run(context: AuditContext) -> list[Hit]:
    hits: list[Hit] = []
    for schema, table, column, column_type in context.rows(RULE.id):
        qname = (schema, table)
        hits.append(
            Hit(
                object=f"{show(qname)}.{column}",
                table=show(qname),
                message=f"money column {show(qname)}.{column} is {column_type}, not bigint",
                expected="bigint",
                found=column_type,
                fix_sql=f"ALTER TABLE {quote_qname(qname)} ALTER COLUMN {quote_ident(column)} TYPE bigint;",
            )
        )
    return hits
