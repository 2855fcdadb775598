"""V013 app-role-bypasses-rls: the application's role is bound by the policies.

Problem: a superuser or a BYPASSRLS role ignores every policy, and a table owner can disable RLS or drop the
policy (and, without FORCE, bypasses it). Prisma's default migration login is often a superuser. Checked for
the roles named with ``--app-role``, else for the role running verify. Solution: a separate login for the
application: NOSUPERUSER NOBYPASSRLS, granted DML on the tables, owning none of them.
"""

from __future__ import annotations

from bhq_migrate.errors import ConfigError
from bhq_migrate.findings import Rule, Severity
from bhq_migrate.verify.audits._base import AuditContext, Hit
from bhq_migrate.verify.expectations import quote_ident

RULE = Rule(
    id="V013",
    name="app-role-bypasses-rls",
    title="The application's role (--app-role, else the role running verify) is not a superuser, has no "
    "BYPASSRLS and owns no tenant table.",
    severity=Severity.ERROR,
    rationale="Superusers and BYPASSRLS roles ignore every policy; an owner can disable RLS or drop policies. "
    "Checked only once some tenant table has RLS enabled.",
    fix="Run the application as its own login: CREATE ROLE app LOGIN NOSUPERUSER NOBYPASSRLS; GRANT SELECT, "
    "INSERT, UPDATE, DELETE on the tables; keep ownership with the migration role.",
)


QUERY = "audit_v013"


def run(context: AuditContext) -> list[Hit]:
    hits: list[Hit] = []
    missing = [row[0] for row in context.rows(RULE.id) if not row[1]]
    if missing:
        raise ConfigError(f"--app-role: no such role: {', '.join(sorted(missing))}")
    for role, _exists, superuser, bypass, owned in context.rows(RULE.id):
        reasons: list[tuple[str, str, str]] = []  # (object key, why, fix)
        if superuser:
            reasons.append(("superuser", "is a superuser", f"ALTER ROLE {quote_ident(role)} NOSUPERUSER;"))
        if bypass and not superuser:  # superusers carry BYPASSRLS too; one reason is enough
            reasons.append(("bypassrls", "has BYPASSRLS", f"ALTER ROLE {quote_ident(role)} NOBYPASSRLS;"))
        if owned and not superuser:  # a superuser "owns" everything; that reason already says it all
            listed = ", ".join(owned[:5]) + (f" and {len(owned) - 5} more" if len(owned) > 5 else "")
            reasons.append(("owner", f"owns tenant table(s) {listed}",
                            "ALTER TABLE <table> OWNER TO <migration role>;  -- for each table listed"))
        for key, why, fix in reasons:
            hits.append(Hit(
                object=f"role {role} ({key})",
                table=None,
                message=f"role {role} {why}: row-level security does not bind it",
                expected="NOSUPERUSER, NOBYPASSRLS, owns no tenant table",
                found=why,
                fix_sql=fix,
            ))
    return hits
