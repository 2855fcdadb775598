"""V002 invalid-index: no index is invalid or not ready.

Problem: a failed or cancelled CREATE INDEX CONCURRENTLY leaves an INVALID index behind. The planner never
uses it, every write still maintains it, and ``CREATE INDEX IF NOT EXISTS`` keeps it because it matches by
name only. Solution: REINDEX INDEX CONCURRENTLY (or drop and recreate it concurrently).
"""

from __future__ import annotations

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.verify.audits._base import AuditContext, Hit
from bhq_migrate.verify.expectations import quote_qname, show

RULE = Rule(
    id="V002",
    name="invalid-index",
    title="No index is invalid or not ready.",
    severity=Severity.ERROR,
    rationale="A failed CREATE INDEX CONCURRENTLY leaves an INVALID index: never used for reads, still "
    "maintained on every write, and kept by CREATE INDEX IF NOT EXISTS, which matches by name only.",
    fix="REINDEX INDEX CONCURRENTLY <index>; (or DROP INDEX CONCURRENTLY and build it again).",
)


QUERY = "audit_v002"


def run(context: AuditContext) -> list[Hit]:
    hits: list[Hit] = []
    for schema, table, index, valid, ready in context.rows(RULE.id):
        state = ", ".join(["valid" if valid else "INVALID", "ready" if ready else "NOT READY"])
        hits.append(
            Hit(
                object=show((schema, index)),
                table=show((schema, table)),
                message=f"index {show((schema, index))} on {show((schema, table))} is {state}",
                expected="valid, ready",
                found=state,
                fix_sql=f"REINDEX INDEX CONCURRENTLY {quote_qname((schema, index))};",
            )
        )
    return hits
