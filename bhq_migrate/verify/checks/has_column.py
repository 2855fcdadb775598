"""has_column: the column exists."""

from __future__ import annotations

from bhq_migrate.verify.checks._common import failed, find_table, passed
from bhq_migrate.verify.expectations import Expectation
from bhq_migrate.verify.results import Verdict
from bhq_migrate.verify.snapshot import Snapshot

KIND = "has_column"
TITLE = "The column exists."


def evaluate(exp: Expectation, snap: Snapshot) -> Verdict:
    table = find_table(exp, snap)
    if isinstance(table, Verdict):
        return table
    if exp.name in table.columns:
        return passed(f"column {exp.object} exists")
    return failed(f"column {exp.object} is missing (apply plan {exp.plan})", "exists", "missing")
