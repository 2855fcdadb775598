"""has_table: the table exists (a table a plan creates)."""

from __future__ import annotations

from bhq_migrate.verify.checks._common import failed, passed, table_of
from bhq_migrate.verify.expectations import Expectation
from bhq_migrate.verify.results import Verdict
from bhq_migrate.verify.snapshot import Snapshot

KIND = "has_table"
TITLE = "The table exists."


def evaluate(exp: Expectation, snap: Snapshot) -> Verdict:
    if table_of(exp) in snap.tables:
        return passed(f"table {exp.object} exists")
    return failed(f"table {exp.object} is missing (apply plan {exp.plan})", "exists", "missing")
