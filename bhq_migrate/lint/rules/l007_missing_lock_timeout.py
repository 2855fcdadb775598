"""L007 missing-lock-timeout: a plan locks an existing table with no lock_timeout in effect."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.analysis import LockMode, display_name
from bhq_migrate.lint.context import AnalysedStatement, Hit, LintContext, LintRule


def _sets_lock_timeout(statement: AnalysedStatement) -> bool:
    node = statement.unit.node
    if isinstance(node, ast.VariableSetStmt):
        return (node.name or "").lower() == "lock_timeout"
    # SELECT set_config('lock_timeout', ...) is the function form of SET.
    return (
        isinstance(node, ast.SelectStmt)
        and "set_config" in statement.unit.sql.lower()
        and ("lock_timeout" in statement.unit.sql.lower())
    )


def _blocking_lock(statement: AnalysedStatement, context: LintContext) -> tuple[str, LockMode] | None:
    """The first lock this statement takes that queues other sessions on a table that existed before."""
    for lock in statement.effect.locks:
        strong = lock.mode.strength >= LockMode.SHARE_UPDATE_EXCLUSIVE.strength
        if strong and context.table_existed(lock.table, statement.unit):
            return lock.table, lock.mode
    return None


def check(context: LintContext) -> Iterator[Hit]:
    if context.options.runner_sets_lock_timeout:
        return
    for source in context.sources:
        for statement in context.statements_in(source):
            if _sets_lock_timeout(statement):
                break
            if statement.unit.in_do_block:
                continue  # the DO block itself carries its statements' locks
            lock = _blocking_lock(statement, context)
            if lock is not None:
                table, mode = lock
                yield Hit(
                    f"{mode.value} on {display_name(table)} without lock_timeout: while this statement waits "
                    "for the lock, every later query on the table queues behind it",
                    statement.unit,
                )
                break


RULE = LintRule(
    Rule(
        id="L007",
        name="missing-lock-timeout",
        title="No lock_timeout in effect before taking a strong lock",
        severity=Severity.WARNING,
        rationale="A DDL statement waiting for its lock (behind one long transaction) blocks every later "
        "query on the table, reads included, for as long as it waits: a queued migration takes the"
        " application down.",
        fix="`SET lock_timeout = '5s'` (and a statement_timeout) before the first DDL, and retry on timeout."
        " `bhq-migrate apply` does both itself, so plans run by it do not need the SET.",
    ),
    check,
)
