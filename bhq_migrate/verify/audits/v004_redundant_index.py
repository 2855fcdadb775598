"""V004 redundant-index: no index duplicates another index, or is a prefix of one.

Problem: an index whose key columns are the same as, or a leading prefix of, another index's on the same
table (same method, no narrower predicate) answers no query the other cannot, yet every write maintains
it, and it takes space and cache. A UNIQUE constraint's index counts. Solution: DROP INDEX CONCURRENTLY
the redundant one.
"""

from __future__ import annotations

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.verify.audits._base import AuditContext, Hit
from bhq_migrate.verify.expectations import quote_qname, show
from bhq_migrate.verify.expressions import canonical, same_expression
from bhq_migrate.verify.snapshot import Index, IndexColumn

RULE = Rule(
    id="V004",
    name="redundant-index",
    title="No index duplicates, or is a prefix of, another index (or a UNIQUE constraint's index).",
    severity=Severity.WARNING,
    rationale="A duplicate or prefix index serves no query the longer index cannot, yet every INSERT and "
    "UPDATE maintains it. The seed creates six (e.g. an index on users.email beside the UNIQUE(email) index).",
    fix="DROP INDEX CONCURRENTLY <redundant index>;",
)


def _key(column: IndexColumn) -> tuple[str, bool, bool]:
    body = f"column:{column.column}" if column.expression is None else f"expr:{canonical(column.expression)}"
    return (body, column.descending, column.nulls_first)


def _predicate_covered(narrow: Index, wide: Index) -> bool:
    if wide.predicate is None:
        return True
    return narrow.predicate is not None and same_expression(wide.predicate, narrow.predicate)


def _loses_tie(candidate: Index, other: Index, declared: frozenset[tuple[str, str]]) -> bool:
    """Of two identical indexes, report the one no plan declares; else the later name, deterministically."""
    mine, theirs = candidate.qname in declared, other.qname in declared
    if mine != theirs:
        return theirs
    return candidate.name > other.name


def redundant_to(candidate: Index, other: Index, declared: frozenset[tuple[str, str]] = frozenset()) -> bool:
    """``candidate`` can go because ``other`` serves every query it does (and any uniqueness it enforces)."""
    if candidate is other or candidate.primary or candidate.constraint is not None:
        return False
    if not (candidate.valid and other.valid) or candidate.method != other.method:
        return False
    mine = [_key(column) for column in candidate.keys]
    theirs = [_key(column) for column in other.keys]
    same_keys = mine == theirs
    if not same_keys and (candidate.method != "btree" or theirs[: len(mine)] != mine):
        return False
    if not _predicate_covered(candidate, other):
        return False
    if candidate.unique:
        # A unique index enforces something: only a unique index on the same keys, over at least the
        # same rows, makes it redundant.
        if not (other.unique and same_keys):
            return False
        if other.constraint is not None or other.predicate != candidate.predicate:
            return True
        return _loses_tie(candidate, other, declared)
    if same_keys and not other.unique and other.constraint is None and candidate.predicate == other.predicate:
        return _loses_tie(candidate, other, declared)
    return True


def run(context: AuditContext) -> list[Hit]:
    hits: list[Hit] = []
    for table_name, indexes in context.snapshot.indexes_by_table.items():
        for candidate in indexes:
            keeper = next(
                (other for other in indexes if redundant_to(candidate, other, context.declared_indexes)), None
            )
            if keeper is None:
                continue
            what = f"the index of constraint {keeper.constraint}" if keeper.constraint else f"index {keeper.name}"
            hits.append(
                Hit(
                    object=show(candidate.qname),
                    table=show(table_name),
                    message=f"index {show(candidate.qname)} is redundant: {what} covers it",
                    expected=f"no index that {keeper.name} already covers",
                    found=candidate.name,
                    fix_sql=f"DROP INDEX CONCURRENTLY {quote_qname(candidate.qname)};",
                )
            )
    return hits
