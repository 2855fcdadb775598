"""V004 redundant-index: no index duplicates another index, or is a prefix of one.

Problem: an index whose key columns are the same as, or a leading prefix of, another index's on the same
table (same method, no narrower predicate) answers no query the other cannot, yet every write maintains
it, and it takes space and cache. A UNIQUE constraint's index counts. Solution: DROP INDEX CONCURRENTLY
the redundant one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.verify.audits._base import AuditContext, Hit
from bhq_migrate.verify.expectations import quote_qname, show
from bhq_migrate.verify.expressions import same_expression

RULE = Rule(
    id="V004",
    name="redundant-index",
    title="No index duplicates, or is a prefix of, another index (or a UNIQUE constraint's index).",
    severity=Severity.WARNING,
    rationale="A duplicate or prefix index serves no query the longer index cannot, yet every INSERT and "
    "UPDATE maintains it. The seed creates six (e.g. an index on users.email beside the UNIQUE(email) index).",
    fix="DROP INDEX CONCURRENTLY <redundant index>;",
)


QUERY = "audit_v004"


def _same(left: str | None, right: str | None) -> bool:
    if left is None or right is None:
        return left is None and right is None
    return same_expression(left, right)


def redundant(row: Sequence[Any], declared: frozenset[str]) -> bool:
    """Whether the candidate (first index) of a candidate pair can go because of the keeper (second)."""
    schema, _table, index, keeper, keeper_constraint, unique, keeper_unique, same_keys = row[:8]
    predicate, keeper_predicate = row[8], row[9]
    if keeper_predicate is not None and not _same(predicate, keeper_predicate):
        return False  # the keeper covers fewer rows than the candidate
    mine, theirs = f"{schema}.{index}" in declared, f"{schema}.{keeper}" in declared
    loses_tie = (theirs and not mine) or (mine == theirs and index > keeper)
    same_predicate = _same(predicate, keeper_predicate)
    if unique:
        # A unique index enforces something: only a unique index on the same keys, over at least the
        # same rows, makes it redundant. Of identical twins, the undeclared (else later-named) one goes.
        return bool(keeper_unique and same_keys and (keeper_constraint or not same_predicate or loses_tie))
    twins = same_keys and not keeper_unique and keeper_constraint is None and same_predicate
    return not twins or loses_tie


def run(context: AuditContext) -> list[Hit]:
    chosen: dict[tuple[str, str], tuple[Any, ...]] = {}
    ordered = sorted(context.rows(RULE.id), key=lambda row: (row[4] is None, row[3]))
    for row in ordered:
        if (row[0], row[2]) not in chosen and redundant(row, context.declared_indexes):
            chosen[(row[0], row[2])] = tuple(row)
    hits: list[Hit] = []
    for schema, table, index, keeper, keeper_constraint, *_ in chosen.values():
        what = f"the index of constraint {keeper_constraint}" if keeper_constraint else f"index {keeper}"
        hits.append(
            Hit(
                object=show((schema, index)),
                table=show((schema, table)),
                message=f"index {show((schema, index))} is redundant: {what} covers it",
                expected=f"no index that {keeper} already covers",
                found=index,
                fix_sql=f"DROP INDEX CONCURRENTLY {quote_qname((schema, index))};",
            )
        )
    return sorted(hits, key=lambda hit: hit.object)
