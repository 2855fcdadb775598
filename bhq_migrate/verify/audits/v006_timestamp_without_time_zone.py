"""V006 timestamp-without-time-zone: timestamp columns store instants (timestamptz).

Problem: ``timestamp without time zone`` with ``DEFAULT now()`` stores the session's wall-clock reading;
two sessions with different TimeZone settings store the same instant hours apart. Solution: retype to
timestamptz, telling PostgreSQL which zone the stored values were in (``USING col AT TIME ZONE 'UTC'``).
"""

from __future__ import annotations

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.verify.audits._base import AuditContext, Hit
from bhq_migrate.verify.expectations import quote_ident, quote_qname, show

RULE = Rule(
    id="V006",
    name="timestamp-without-time-zone",
    title="Timestamp columns are timestamptz.",
    severity=Severity.WARNING,
    rationale="timestamp without time zone stores a wall-clock reading that depends on the session's "
    "TimeZone: the same instant was stored 6 h apart in the seed audit.",
    fix="ALTER TABLE ... ALTER COLUMN c TYPE timestamptz USING c AT TIME ZONE 'UTC' (one ALTER TABLE "
    "per table: it rewrites the table).",
)


QUERY = "audit_v006"


def run(context: AuditContext) -> list[Hit]:
    hits: list[Hit] = []
    for schema, table_name, naive in context.rows(RULE.id):
        qname = (schema, table_name)
        clauses = ",\n  ".join(
            f"ALTER COLUMN {quote_ident(name)} TYPE timestamptz USING {quote_ident(name)} AT TIME ZONE 'UTC'"
            for name in naive
        )
        hits.append(
            Hit(
                object=show(qname),
                table=show(qname),
                message=f"{show(qname)} has {len(naive)} timestamp without time zone column(s): "
                + ", ".join(naive),
                expected="timestamp with time zone",
                found=", ".join(naive),
                fix_sql=f"ALTER TABLE {quote_qname(qname)}\n  {clauses};",
            )
        )
    return hits
