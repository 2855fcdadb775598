"""V008 rls-not-forced: every tenant table has row-level security ENABLEd and FORCEd.

Problem: without ENABLE, policies are ignored and isolation rests on every query remembering the tenant;
without FORCE, the table owner (often the login Prisma migrates and runs with) bypasses the policies.
Solution: ALTER TABLE ... ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY (plan 004 does both).
"""

from __future__ import annotations

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.verify.audits._base import AuditContext, Hit, adoption_severity
from bhq_migrate.verify.expectations import quote_qname, show

RULE = Rule(
    id="V008",
    name="rls-not-forced",
    title="Every tenant table has row-level security enabled and forced.",
    severity=Severity.ERROR,
    rationale="Without ENABLE ROW LEVEL SECURITY the table's policies are ignored; without FORCE the table "
    "owner, often the application's own login, bypasses them. Warning until some tenant table has RLS.",
    fix="ALTER TABLE <table> ENABLE ROW LEVEL SECURITY; ALTER TABLE <table> FORCE ROW LEVEL SECURITY; "
    "(bhq-migrate apply --only 004).",
)


QUERY = "audit_v008"


def run(context: AuditContext) -> list[Hit]:
    hits: list[Hit] = []
    for schema, table, enabled, forced, adopted, policies in context.rows(RULE.id):
        qname = (schema, table)
        missing = [word for word, present in (("ENABLE", enabled), ("FORCE", forced)) if not present]
        fix = "\n".join(f"ALTER TABLE {quote_qname(qname)} {word} ROW LEVEL SECURITY;" for word in missing)
        ignored = ""
        if policies and not enabled:
            ignored = f"; its {policies} polic{'y is' if policies == 1 else 'ies are'} ignored"
        hits.append(
            Hit(
                object=show(qname),
                table=show(qname),
                message=f"tenant table {show(qname)} has row-level security "
                + ("disabled" if not enabled else "enabled but not forced (its owner bypasses the policies)")
                + ignored,
                expected="ENABLE and FORCE ROW LEVEL SECURITY",
                found="enabled" if enabled else "disabled",
                fix_sql=fix,
                severity=adoption_severity(bool(adopted)),
            )
        )
    return hits
