"""V011 unique-without-tenant: every unique index or constraint on a tenant table includes the tenant
column (the primary key excepted).

Problem: a unique key without the tenant column is global: tenant B cannot use a value tenant A has, and the
duplicate-key error tells B that A has it (a leak RLS does not stop). Solution: rebuild it with the tenant
column first, e.g. ``("tenantId", email)``.
"""

from __future__ import annotations

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.verify.audits._base import AuditContext, Hit, adoption_severity
from bhq_migrate.verify.expectations import show

RULE = Rule(
    id="V011",
    name="unique-without-tenant",
    title="Every unique index or constraint on a tenant table includes the tenant column (except the "
    "primary key).",
    severity=Severity.ERROR,
    rationale="Uniqueness without the tenant column spans tenants: one tenant's value blocks every other "
    "tenant, and the duplicate-key error reveals it exists. Warning until some tenant table has RLS.",
    fix='CREATE UNIQUE INDEX CONCURRENTLY ... ON <table> ("tenantId", <columns>); then drop the old one.',
)


QUERY = "audit_v011"


def run(context: AuditContext) -> list[Hit]:
    hits: list[Hit] = []
    for schema, table, index, column, adopted, definition in context.rows(RULE.id):
        qname = (schema, table)
        hits.append(Hit(
            object=show((schema, index)),
            table=show(qname),
            message=f"unique index {show((schema, index))} on tenant table {show(qname)} does not include "
            f'"{column}": it is unique across tenants',
            expected=f'"{column}" among the key columns',
            found=definition,
            severity=adoption_severity(bool(adopted)),
        ))
    return hits
