"""index_is_partial: the index's predicate means the declared one; an index declared without ``where``
must not be partial. Predicates are compared as parse trees (see verify/expressions.py), so the server's
``((status)::text = 'active'::text)`` matches the plan's ``status = 'active'``."""

from __future__ import annotations

from bhq_migrate.verify.checks._common import failed, find_index, passed, recreate_index_sql, table_of
from bhq_migrate.verify.expectations import Expectation
from bhq_migrate.verify.expressions import same_expression
from bhq_migrate.verify.results import Verdict
from bhq_migrate.verify.snapshot import Snapshot

KIND = "index_is_partial"
TITLE = "The index's partial predicate is as declared."

NOT_PARTIAL = "not partial (all rows)"


def evaluate(exp: Expectation, snap: Snapshot) -> Verdict:
    index = find_index(exp, snap)
    if isinstance(index, Verdict):
        return index
    where: str | None = exp.expected.where
    expected = f"WHERE {where}" if where else NOT_PARTIAL
    found = f"WHERE {index.predicate}" if index.predicate else NOT_PARTIAL
    if where is None and index.predicate is None:
        return passed(f"index {exp.object} is not partial", expected, found)
    if where is not None and same_expression(where, index.predicate):
        return passed(f"index {exp.object} has predicate {index.predicate}", expected, found)
    return failed(f"index {exp.object} is {found}, expected {expected}", expected, found,
                  recreate_index_sql(table_of(exp), exp.name, exp.expected))
