"""V001 money-column-not-bigint: every money column is BIGINT.

Problem: an INTEGER cents column overflows at 21,474,836.47; the insert that crosses it fails with
``integer out of range`` in production. Solution: retype to BIGINT (a table rewrite: schedule it, or use
the online shadow-column procedure for large tables).
"""

from __future__ import annotations

from fnmatch import fnmatchcase

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


def run(context: AuditContext) -> list[Hit]:
    hits: list[Hit] = []
    for table in context.snapshot.tables.values():
        for column in table.columns.values():
            if column.type == "bigint":
                continue
            if any(fnmatchcase(column.name, pattern) for pattern in context.money_patterns):
                target = f"{quote_qname(table.qname)} ALTER COLUMN {quote_ident(column.name)}"
                hits.append(
                    Hit(
                        object=f"{show(table.qname)}.{column.name}",
                        table=show(table.qname),
                        message=f"money column {show(table.qname)}.{column.name} is {column.type}, not bigint",
                        expected="bigint",
                        found=column.type,
                        fix_sql=f"ALTER TABLE {target} TYPE bigint;",
                    )
                )
    return hits
