"""index_columns_are: the index's key columns are the declared ones, in order, with their sort order
(DESC, NULLS FIRST/LAST); expression keys are compared by meaning."""

from __future__ import annotations

from bhq_migrate.verify.checks._common import failed, find_index, passed, recreate_index_sql, table_of
from bhq_migrate.verify.expectations import Expectation, IndexKey
from bhq_migrate.verify.results import Verdict
from bhq_migrate.verify.snapshot import Index, Snapshot

KIND = "index_columns_are"
TITLE = "The index has the declared key columns, in order and sort direction."


def found_keys(index: Index) -> tuple[IndexKey, ...]:
    return tuple(
        IndexKey(column=key.column, expression=key.expression, descending=key.descending, nulls_first=key.nulls_first)
        for key in index.keys
    )


def evaluate(exp: Expectation, snap: Snapshot) -> Verdict:
    index = find_index(exp, snap)
    if isinstance(index, Verdict):
        return index
    expected: tuple[IndexKey, ...] = exp.expected.columns
    found = found_keys(index)
    shown_expected = ", ".join(key.render() for key in expected)
    shown_found = ", ".join(key.render() for key in found)
    if len(expected) == len(found) and all(e.matches(f) for e, f in zip(expected, found, strict=True)):
        return passed(f"index {exp.object} is on ({shown_found})", shown_expected, shown_found)
    return failed(f"index {exp.object} is on ({shown_found}), expected ({shown_expected})", shown_expected,
                  shown_found, recreate_index_sql(table_of(exp), exp.name, exp.expected))
