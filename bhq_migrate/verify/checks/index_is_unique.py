"""index_is_unique: the index is (or is not) UNIQUE, as declared."""

from __future__ import annotations

from bhq_migrate.verify.checks._common import failed, find_index, passed, recreate_index_sql, table_of
from bhq_migrate.verify.expectations import Expectation
from bhq_migrate.verify.results import Verdict
from bhq_migrate.verify.snapshot import Snapshot

KIND = "index_is_unique"
TITLE = "The index's uniqueness is as declared."


def _word(unique: bool) -> str:
    return "unique" if unique else "not unique"


def evaluate(exp: Expectation, snap: Snapshot) -> Verdict:
    index = find_index(exp, snap)
    if isinstance(index, Verdict):
        return index
    expected: bool = exp.expected.unique
    if index.unique == expected:
        return passed(f"index {exp.object} is {_word(index.unique)}", _word(expected), _word(index.unique))
    return failed(f"index {exp.object} is {_word(index.unique)}, expected {_word(expected)}",
                  _word(expected), _word(index.unique), recreate_index_sql(table_of(exp), exp.name, exp.expected))
