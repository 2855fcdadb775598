"""V009 policy-command-uncovered: on a tenant table with RLS, every command has a permissive policy, and
every write policy has WITH CHECK.

Problem: with RLS enabled, a command no permissive policy covers is refused outright (the application's
UPDATEs fail); a write policy without WITH CHECK reuses USING for the new row, so what may be written is
only implicitly what may be read. Solution: one policy FOR ALL with USING and WITH CHECK on the tenant
column (plan 004's ``tenant_isolation``).
"""

from __future__ import annotations

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.verify.audits._base import TENANT_CONDITION, AuditContext, Hit
from bhq_migrate.verify.expectations import quote_ident, quote_qname, show

RULE = Rule(
    id="V009",
    name="policy-command-uncovered",
    title="On a tenant table with RLS, every command is covered by a policy and every write policy has "
    "WITH CHECK.",
    severity=Severity.ERROR,
    rationale="A command no permissive policy covers is refused for everyone the policies bind; a write "
    "policy without WITH CHECK silently reuses USING for the rows it writes.",
    fix=f"CREATE POLICY tenant_isolation ON <table> FOR ALL USING ({TENANT_CONDITION}) "
    f"WITH CHECK ({TENANT_CONDITION});",
)


QUERY = "audit_v009"


def run(context: AuditContext) -> list[Hit]:
    hits: list[Hit] = []
    for schema, table, kind, command, policy in context.rows(RULE.id):
        qname = (schema, table)
        if kind == "uncovered":
            hits.append(Hit(
                object=f"{show(qname)}:{command}",
                table=show(qname),
                message=f"no permissive policy on {show(qname)} covers {command}: every {command} is refused",
                expected=f"a policy FOR {command} or FOR ALL",
                found="none",
                fix_sql=f"CREATE POLICY tenant_isolation ON {quote_qname(qname)} FOR ALL "
                f"USING ({TENANT_CONDITION}) WITH CHECK ({TENANT_CONDITION});",
            ))
        else:
            hits.append(Hit(
                object=f"{show(qname)}.{policy}",
                table=show(qname),
                message=f"policy {policy} on {show(qname)} (FOR {command}) has no WITH CHECK",
                expected="WITH CHECK on the tenant column",
                found="no WITH CHECK",
                fix_sql=f"ALTER POLICY {quote_ident(policy)} ON {quote_qname(qname)} WITH CHECK ({TENANT_CONDITION});",
            ))
    return hits
