"""fk_ok: the foreign key exists, from the declared columns to the declared table and columns."""

from __future__ import annotations

from bhq_migrate.verify.checks._common import (
    failed,
    find_table,
    foreign_key_definition,
    names,
    passed,
    replace_constraint_sql,
    table_of,
)
from bhq_migrate.verify.expectations import Expectation, ForeignKeySpec, parse_qname, show
from bhq_migrate.verify.results import Verdict
from bhq_migrate.verify.snapshot import Snapshot

KIND = "fk_ok"
TITLE = "The foreign key links the declared columns."


def evaluate(exp: Expectation, snap: Snapshot) -> Verdict:
    table = find_table(exp, snap)
    if isinstance(table, Verdict):
        return table
    spec: ForeignKeySpec = exp.expected
    target = parse_qname(spec.references)
    expected = f"{names(spec.columns)} -> {show(target)}{names(spec.ref_columns)}"
    constraint = snap.constraint(table_of(exp), exp.name)
    fix = replace_constraint_sql(table_of(exp), exp.name, foreign_key_definition(spec), exists=constraint is not None)
    if constraint is None or constraint.type != "f":
        return failed(f"foreign key {exp.object} is missing", expected, "missing", fix)
    ref = show(constraint.ref_table) if constraint.ref_table else "?"
    found = f"{names(constraint.columns)} -> {ref}{names(constraint.ref_columns)}"
    if (constraint.columns, constraint.ref_table, constraint.ref_columns) == (spec.columns, target, spec.ref_columns):
        return passed(f"foreign key {exp.object} is {found}", expected, found)
    return failed(f"foreign key {exp.object} is {found}, expected {expected}", expected, found, fix)
