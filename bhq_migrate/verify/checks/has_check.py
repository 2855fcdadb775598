"""has_check: a CHECK constraint of this name exists on the table."""

from __future__ import annotations

from bhq_migrate.verify.checks._common import (
    check_expression,
    failed,
    find_table,
    passed,
    replace_constraint_sql,
    table_of,
)
from bhq_migrate.verify.expectations import Expectation
from bhq_migrate.verify.results import Verdict
from bhq_migrate.verify.snapshot import Snapshot

KIND = "has_check"
TITLE = "The CHECK constraint exists."


def evaluate(exp: Expectation, snap: Snapshot) -> Verdict:
    table = find_table(exp, snap)
    if isinstance(table, Verdict):
        return table
    constraint = snap.constraint(table_of(exp), exp.name)
    if constraint is not None and constraint.type == "c":
        return passed(f"CHECK {exp.object} exists")
    definition = f"CHECK ({check_expression(exp.expected)})"
    return failed(f"CHECK constraint {exp.object} is missing", definition, "missing",
                  replace_constraint_sql(table_of(exp), exp.name, definition, exists=constraint is not None))
