"""L051 domain-with-constraint: CREATE DOMAIN ... CHECK, or ALTER DOMAIN ... ADD CONSTRAINT."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import ConstrType

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.context import Hit, LintContext, LintRule


def check(context: LintContext) -> Iterator[Hit]:
    for statement in context.statements:
        node = statement.unit.node
        if isinstance(node, ast.CreateDomainStmt) and any(
            constraint.contype == ConstrType.CONSTR_CHECK for constraint in node.constraints or ()
        ):
            yield Hit(
                "CREATE DOMAIN with a CHECK: the check runs hidden from the tables that use the type", statement.unit
            )
        elif isinstance(node, ast.AlterDomainStmt) and node.subtype == "C":
            not_valid = isinstance(node.def_, ast.Constraint) and node.def_.skip_validation
            if not not_valid:
                yield Hit(
                    "ALTER DOMAIN ADD CONSTRAINT checks every column of every table that uses the domain, under "
                    "locks on all of them",
                    statement.unit,
                )


RULE = LintRule(
    Rule(
        id="L051",
        name="domain-with-constraint",
        title="A constraint on a domain",
        severity=Severity.WARNING,
        rationale="A domain's CHECK applies to every column of that type in every table. Adding one scans all of "
        "them while locking them, and it cannot be changed table by table later.",
        fix="Put CHECK constraints on the tables (added NOT VALID, then VALIDATE); keep domains free of constraints.",
    ),
    check,
)
