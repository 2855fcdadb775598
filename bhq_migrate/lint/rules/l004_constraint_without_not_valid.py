"""L004 constraint-without-not-valid: ADD CONSTRAINT CHECK / FOREIGN KEY validated under a strong lock."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import AlterTableType, ConstrType

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.analysis import display_name
from bhq_migrate.lint.context import Hit, LintContext, LintRule

_LOCK = {
    ConstrType.CONSTR_CHECK: ("CHECK", "ACCESS EXCLUSIVE"),
    ConstrType.CONSTR_FOREIGN: ("FOREIGN KEY", "SHARE ROW EXCLUSIVE on both tables"),
}


def check(context: LintContext) -> Iterator[Hit]:
    for statement, cmd in context.alter_commands(AlterTableType.AT_AddConstraint):
        constraint = cmd.def_
        if not isinstance(constraint, ast.Constraint) or constraint.contype not in _LOCK:
            continue
        if constraint.skip_validation:
            continue
        kind, lock = _LOCK[constraint.contype]
        name = f' "{constraint.conname}"' if constraint.conname else ""
        table = display_name(statement.effect.object or "")
        yield Hit(
            f"ADD CONSTRAINT{name} {kind} on existing table {table} checks every row under {lock}",
            statement.unit,
            constraint.location,
        )


RULE = LintRule(
    Rule(
        id="L004",
        name="constraint-without-not-valid",
        title="ADD CONSTRAINT CHECK or FOREIGN KEY without NOT VALID",
        severity=Severity.WARNING,
        rationale="Adding a CHECK scans the whole table under ACCESS EXCLUSIVE (no reads or writes); adding "
        "a FOREIGN KEY scans it under SHARE ROW EXCLUSIVE on both tables (no writes).",
        fix="Add the constraint NOT VALID (instant; new rows are checked), then `ALTER TABLE ... VALIDATE "
        "CONSTRAINT ...` as a separate statement: it scans under SHARE UPDATE EXCLUSIVE, so reads and "
        "writes go on.",
    ),
    check,
)
