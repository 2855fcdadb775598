"""V012 fk-without-tenant: every foreign key between two tenant tables pairs the tenant columns.

Problem: a key on ``id`` alone lets a row reference another tenant's row (tenant A's invoice pointing at
tenant B's contact); the join then shows B's data inside A's screens, and RLS on the referencing table does
not stop it. Solution: a composite key ``("tenantId", col) REFERENCES parent ("tenantId", id)`` with a unique
index on the parent's pair (plan 004 adds both). A composite key whose tenant column is paired with another
column (``("tenantId", x) REFERENCES parent (id, "tenantId")``) does not keep tenants apart either.
"""

from __future__ import annotations

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.verify.audits._base import AuditContext, Hit, adoption_severity
from bhq_migrate.verify.expectations import quote_ident, show

RULE = Rule(
    id="V012",
    name="fk-without-tenant",
    title="Every foreign key between two tenant tables pairs the child's tenant column with the parent's.",
    severity=Severity.ERROR,
    rationale="A foreign key on id alone lets a row reference another tenant's row; nothing in the database "
    "keeps tenants' data from mixing. Warning until some tenant table has RLS.",
    fix='ALTER TABLE <child> ADD CONSTRAINT ... FOREIGN KEY ("tenantId", <col>) REFERENCES <parent> '
    '("tenantId", id) NOT VALID; then VALIDATE CONSTRAINT (plan 004).',
)


QUERY = "audit_v012"


def run(context: AuditContext) -> list[Hit]:
    hits: list[Hit] = []
    for schema, table, constraint, parent, columns, ref_columns, column, ref_column, adopted in context.rows(RULE.id):
        qname = (schema, table)
        cols = ", ".join(quote_ident(c) for c in columns)
        refs = ", ".join(quote_ident(c) for c in ref_columns)
        hits.append(Hit(
            object=f"{show(qname)}.{constraint}",
            table=show(qname),
            message=f"foreign key {show(qname)}.{constraint} ({cols}) -> {parent} ({refs}) does not pair "
            f"{quote_ident(column)}: a row may reference another tenant's row",
            expected=f"({quote_ident(column)}, {cols}) -> ({quote_ident(ref_column)}, {refs})",
            found=f"({cols}) -> ({refs})",
            severity=adoption_severity(bool(adopted)),
        ))
    return hits
