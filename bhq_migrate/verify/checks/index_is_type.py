"""index_is_type: the index uses the declared access method (btree, gin, gist, ...)."""

from __future__ import annotations

from bhq_migrate.verify.checks._common import failed, find_index, passed, recreate_index_sql, table_of
from bhq_migrate.verify.expectations import Expectation
from bhq_migrate.verify.results import Verdict
from bhq_migrate.verify.snapshot import Snapshot

KIND = "index_is_type"
TITLE = "The index uses the declared access method."


def evaluate(exp: Expectation, snap: Snapshot) -> Verdict:
    index = find_index(exp, snap)
    if isinstance(index, Verdict):
        return index
    expected: str = exp.expected.method
    if index.method == expected:
        return passed(f"index {exp.object} is {index.method}", expected, index.method)
    return failed(f"index {exp.object} is {index.method}, expected {expected}", expected, index.method,
                  recreate_index_sql(table_of(exp), exp.name, exp.expected))
