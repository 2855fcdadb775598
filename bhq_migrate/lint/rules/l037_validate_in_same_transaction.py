"""L037 validate-in-same-transaction: a NOT VALID constraint validated in the transaction that added it."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import AlterTableType

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.analysis import display_name
from bhq_migrate.lint.context import Hit, LintContext, LintRule


def check(context: LintContext) -> Iterator[Hit]:
    for source in context.sources:
        if not context.in_transaction(source):
            continue
        added: set[tuple[str, str]] = set()
        for statement in context.statements_in(source):
            node = statement.unit.node
            if not isinstance(node, ast.AlterTableStmt):
                continue
            table = statement.effect.object or ""
            for cmd in node.cmds or ():
                constraint = cmd.def_
                if (
                    cmd.subtype == AlterTableType.AT_AddConstraint
                    and isinstance(constraint, ast.Constraint)
                    and constraint.skip_validation
                    and constraint.conname
                ):
                    added.add((table, constraint.conname))
                elif cmd.subtype == AlterTableType.AT_ValidateConstraint and (table, cmd.name or "") in added:
                    yield Hit(
                        f'VALIDATE CONSTRAINT "{cmd.name}" of {display_name(table)} in the transaction that added it '
                        "NOT VALID: the ACCESS EXCLUSIVE lock of the ADD is still held during the whole scan",
                        statement.unit,
                    )


RULE = LintRule(
    Rule(
        id="L037",
        name="validate-in-same-transaction",
        title="NOT VALID validated in the same transaction",
        severity=Severity.WARNING,
        rationale="NOT VALID exists so that the full check can run later under SHARE UPDATE EXCLUSIVE, which lets "
        "reads and writes go on. Validating in the same transaction keeps the ADD's stronger lock for the "
        "whole scan, which is exactly what NOT VALID was meant to avoid.",
        fix="Commit after the ADD ... NOT VALID, and VALIDATE in a later transaction (a later migration, or a plan "
        "with `-- transactional: false`).",
    ),
    check,
)
