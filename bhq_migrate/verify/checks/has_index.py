"""has_index: the index exists, on the declared table. ``IF NOT EXISTS`` matches by name only, so the
other index_* checks compare what the index really is."""

from __future__ import annotations

from bhq_migrate.verify.checks._common import create_index_sql, failed, passed, recreate_index_sql, table_of
from bhq_migrate.verify.expectations import Expectation, show
from bhq_migrate.verify.results import Verdict
from bhq_migrate.verify.snapshot import Snapshot

KIND = "has_index"
TITLE = "The index exists on its table."


def evaluate(exp: Expectation, snap: Snapshot) -> Verdict:
    table = table_of(exp)
    index = snap.index_on(table[0], exp.name)
    if index is None:
        return failed(f"index {exp.object} is missing", f"index on {show(table)}", "missing",
                      create_index_sql(table, exp.name, exp.expected))
    if index.table != table:
        return failed(f"index {exp.object} is on {show(index.table)}, expected {show(table)}", show(table),
                      show(index.table), recreate_index_sql(table, exp.name, exp.expected))
    return passed(f"index {exp.object} exists on {show(table)}")
