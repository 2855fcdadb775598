"""check_expression_is: a CHECK constraint's expression means the declared one (compared as canonical
parse trees: BETWEEN, IN lists, AND/OR nesting and the server's casts do not matter)."""

from __future__ import annotations

from bhq_migrate.verify.checks._common import failed, find_constraint, passed, replace_constraint_sql, table_of
from bhq_migrate.verify.expectations import CheckSpec, Expectation
from bhq_migrate.verify.expressions import same_expression
from bhq_migrate.verify.results import Verdict
from bhq_migrate.verify.snapshot import Snapshot

KIND = "check_expression_is"
TITLE = "The CHECK constraint's expression is as declared."


def evaluate(exp: Expectation, snap: Snapshot) -> Verdict:
    constraint = find_constraint(exp, snap, "c")
    if isinstance(constraint, Verdict):
        return constraint
    spec: CheckSpec = exp.expected
    assert spec.expression is not None
    if same_expression(spec.expression, constraint.expression):
        return passed(f"CHECK {exp.object} is {constraint.expression}", spec.expression, constraint.expression)
    fix = replace_constraint_sql(table_of(exp), exp.name, f"CHECK ({spec.expression})", exists=True)
    return failed(f"CHECK {exp.object} differs", spec.expression, constraint.expression, fix)
