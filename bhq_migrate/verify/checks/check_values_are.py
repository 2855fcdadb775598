"""check_values_are: a ``column IN (...)`` CHECK allows exactly the declared value set, compared as a set
(order and the server's ``= ANY (ARRAY[...])`` rendering do not matter); lists Missing and Extra values."""

from __future__ import annotations

from bhq_migrate.verify.checks._common import (
    check_expression,
    failed,
    find_constraint,
    passed,
    replace_constraint_sql,
    table_of,
)
from bhq_migrate.verify.expectations import CheckSpec, Expectation
from bhq_migrate.verify.expressions import value_set
from bhq_migrate.verify.results import Verdict
from bhq_migrate.verify.snapshot import Snapshot

KIND = "check_values_are"
TITLE = "The CHECK constraint allows exactly the declared values."


def _render(column: str, values: frozenset[str] | tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(sorted(values))})"


def evaluate(exp: Expectation, snap: Snapshot) -> Verdict:
    constraint = find_constraint(exp, snap, "c")
    if isinstance(constraint, Verdict):
        return constraint
    spec: CheckSpec = exp.expected
    assert spec.column is not None and spec.values is not None
    expected_values = frozenset(spec.values)
    expected = _render(spec.column, expected_values)
    fix = replace_constraint_sql(table_of(exp), exp.name, f"CHECK ({check_expression(spec)})", exists=True)
    found_set = value_set(constraint.expression or "TRUE")
    if found_set is None or found_set.negated:
        return failed(f"CHECK {exp.object} is not a value set: {constraint.expression}", expected,
                      constraint.expression, fix)
    found = _render(found_set.column, found_set.values)
    if found_set.column != spec.column:
        return failed(f"CHECK {exp.object} constrains {found_set.column}, expected {spec.column}", expected, found, fix)
    missing = tuple(sorted(expected_values - found_set.values))
    extra = tuple(sorted(found_set.values - expected_values))
    if missing or extra:
        detail = "; ".join(
            part for part in (f"missing {', '.join(missing)}" if missing else "",
                              f"extra {', '.join(extra)}" if extra else "") if part
        )
        return failed(f"CHECK {exp.object} value set differs: {detail}", expected, found, fix, missing, extra)
    return passed(f"CHECK {exp.object} allows {found}", expected, found)
