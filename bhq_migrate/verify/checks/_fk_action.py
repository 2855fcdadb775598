"""Shared by fk_on_delete_is and fk_on_update_is."""

from __future__ import annotations

from typing import Literal

from bhq_migrate.verify.checks._common import failed as fail_verdict
from bhq_migrate.verify.checks._common import (
    find_constraint,
    foreign_key_definition,
    passed,
    replace_constraint_sql,
    table_of,
)
from bhq_migrate.verify.expectations import Expectation, ForeignKeySpec
from bhq_migrate.verify.results import Verdict
from bhq_migrate.verify.snapshot import Snapshot


def evaluate_action(exp: Expectation, snap: Snapshot, event: Literal["delete", "update"]) -> Verdict:
    constraint = find_constraint(exp, snap, "f")
    if isinstance(constraint, Verdict):
        return constraint
    spec: ForeignKeySpec = exp.expected
    expected = (spec.on_delete if event == "delete" else spec.on_update).upper()
    found = ((constraint.on_delete if event == "delete" else constraint.on_update) or "?").upper()
    if expected == found:
        return passed(f"foreign key {exp.object} is ON {event.upper()} {found}", expected, found)
    fix = replace_constraint_sql(table_of(exp), exp.name, foreign_key_definition(spec), exists=True)
    return fail_verdict(f"foreign key {exp.object} is ON {event.upper()} {found}, expected {expected}",
                        expected, found, fix)
