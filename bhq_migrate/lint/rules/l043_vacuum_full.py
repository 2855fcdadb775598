"""L043 vacuum-full: VACUUM FULL or CLUSTER, which rewrite the table under ACCESS EXCLUSIVE."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.context import Hit, LintContext, LintRule


def check(context: LintContext) -> Iterator[Hit]:
    for statement in context.statements:
        node = statement.unit.node
        if isinstance(node, ast.VacuumStmt) and any(
            getattr(option, "defname", "") == "full" for option in node.options or ()
        ):
            yield Hit("VACUUM FULL rewrites each table under ACCESS EXCLUSIVE: reads and writes stop", statement.unit)
        elif isinstance(node, ast.ClusterStmt):
            yield Hit("CLUSTER rewrites the table under ACCESS EXCLUSIVE: reads and writes stop", statement.unit)


RULE = LintRule(
    Rule(
        id="L043",
        name="vacuum-full",
        title="VACUUM FULL or CLUSTER in a migration",
        severity=Severity.WARNING,
        rationale="Both write a complete new copy of the table and its indexes while holding ACCESS EXCLUSIVE; on a "
        "live table that is an outage for as long as the copy takes, and it needs free disk for a second "
        "copy.",
        fix="Let autovacuum work, or reclaim space online with pg_repack / pg_squeeze outside the migration.",
    ),
    check,
)
