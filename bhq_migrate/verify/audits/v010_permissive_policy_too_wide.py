"""V010 permissive-policy-too-wide: no permissive policy on a tenant table is constant true or ignores the
tenant column.

Problem: permissive policies are OR-ed: one ``USING (true)`` policy, or one that never looks at the tenant
column, opens every tenant's rows to everybody, whatever the other policies say. Solution: drop it, or make
it RESTRICTIVE, or add the tenant condition.
"""

from __future__ import annotations

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.verify.audits._base import AuditContext, Hit
from bhq_migrate.verify.expectations import quote_ident, quote_qname, show

RULE = Rule(
    id="V010",
    name="permissive-policy-too-wide",
    title="No permissive policy on a tenant table is constant true or ignores the tenant column.",
    severity=Severity.ERROR,
    rationale="Permissive policies are combined with OR: a single USING (true) policy, or one that does not "
    "refer to the tenant column, makes every tenant's rows visible or writable to every tenant.",
    fix="DROP POLICY <policy> ON <table>; or recreate it AS RESTRICTIVE, or add the tenant condition.",
)


QUERY = "audit_v010"


def run(context: AuditContext) -> list[Hit]:
    hits: list[Hit] = []
    for schema, table, policy, column, using, check, why in context.rows(RULE.id):
        qname = (schema, table)
        reason = "is constant true" if why == "constant-true" else f"does not refer to {quote_ident(column)}"
        hits.append(Hit(
            object=f"{show(qname)}.{policy}",
            table=show(qname),
            message=f"permissive policy {policy} on {show(qname)} {reason}: it opens every tenant's rows",
            expected=f"a condition on {quote_ident(column)}",
            found=f"USING {using or '(none)'} WITH CHECK {check or '(none)'}",
            fix_sql=f"DROP POLICY {quote_ident(policy)} ON {quote_qname(qname)};",
        ))
    return hits
