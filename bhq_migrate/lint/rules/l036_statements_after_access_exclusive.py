"""L036 statements-after-access-exclusive: slow work after an ACCESS EXCLUSIVE lock in the same transaction."""

from __future__ import annotations

from collections.abc import Iterator

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.analysis import Effect, LockMode, display_name
from bhq_migrate.lint.context import Hit, LintContext, LintRule

_SLOW = (Effect.SCAN, Effect.REWRITE, Effect.UNKNOWN)


def check(context: LintContext) -> Iterator[Hit]:
    for source in context.sources:
        if not context.in_transaction(source):
            continue
        locked: str | None = None
        for statement in context.statements_in(source):
            if statement.unit.in_do_block:
                continue
            slow_elsewhere = statement.effect.effect in _SLOW and statement.effect.object != locked
            if locked is not None and slow_elsewhere:
                yield Hit(
                    f"{display_name(locked)} is still locked ACCESS EXCLUSIVE (since an earlier statement of this "
                    f"transaction) while this statement does a {statement.effect.effect.value}: every query on "
                    f"{display_name(locked)} waits for it too",
                    statement.unit,
                )
                break  # once per file: the first statement that prolongs the lock
            if locked is None and statement.table_existed:
                for lock in statement.effect.locks:
                    if lock.mode is LockMode.ACCESS_EXCLUSIVE and context.table_existed(lock.table, statement.unit):
                        locked = lock.table
                        break


RULE = LintRule(
    Rule(
        id="L036",
        name="statements-after-access-exclusive",
        title="Slow statements after an ACCESS EXCLUSIVE lock in the same transaction",
        severity=Severity.WARNING,
        rationale="Locks are held until the transaction ends. Once a statement has taken ACCESS EXCLUSIVE on a live "
        "table, every later scan, rewrite or index build in the same transaction, even on another table, "
        "keeps that table unreadable for its whole duration.",
        fix="Put the statement that takes ACCESS EXCLUSIVE last, or in a transaction of its own, and do the slow "
        "work first (or online: CONCURRENTLY, NOT VALID + VALIDATE).",
    ),
    check,
)
