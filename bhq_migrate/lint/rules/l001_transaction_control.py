"""L001 transaction-control: BEGIN/COMMIT/ROLLBACK inside a plan, or a statement that cannot run in the plan's
transaction (CREATE INDEX CONCURRENTLY in a transactional plan)."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import TransactionStmtKind

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.context import Hit, LintContext, LintRule, Runner

_WHY = {
    TransactionStmtKind.TRANS_STMT_BEGIN: "the runner already opened the transaction; PostgreSQL only warns "
    "'there is already a transaction in progress'",
    TransactionStmtKind.TRANS_STMT_START: "the runner already opened the transaction; PostgreSQL only warns "
    "'there is already a transaction in progress'",
    TransactionStmtKind.TRANS_STMT_COMMIT: "it ends the runner's transaction early: what follows runs "
    "without atomicity and the history row no longer commits with the plan",
    TransactionStmtKind.TRANS_STMT_ROLLBACK: "it ends the runner's transaction early",
}


def _needs_autocommit(node: object) -> str | None:
    """Statements PostgreSQL refuses inside a transaction block (the ones a plan may contain)."""
    if isinstance(node, ast.IndexStmt) and node.concurrent:
        return "CREATE INDEX CONCURRENTLY"
    if isinstance(node, ast.DropStmt) and node.concurrent:
        return "DROP INDEX CONCURRENTLY"
    if isinstance(node, ast.VacuumStmt) and node.is_vacuumcmd:
        return "VACUUM"
    return None


def check(context: LintContext) -> Iterator[Hit]:
    runner = context.options.runner
    for source in context.sources:
        in_block = False  # inside the file's own BEGIN ... COMMIT (Prisma files run without a transaction)
        for statement in context.statements_in(source):
            node = statement.unit.node
            if isinstance(node, ast.TransactionStmt):
                in_block = node.kind in (TransactionStmtKind.TRANS_STMT_BEGIN, TransactionStmtKind.TRANS_STMT_START)
                if runner is Runner.PRISMA:
                    continue  # the author's own transaction: Prisma does not open one
                keyword = statement.unit.sql.split(None, 1)[0].upper().rstrip(";")
                why = _WHY.get(node.kind, "the runner owns the transaction")
                if runner is Runner.FLYWAY:
                    why = "Flyway runs each migration in its own transaction; " + why.split("; ", 1)[-1]
                yield Hit(f"{keyword} inside a {'migration' if runner is Runner.FLYWAY else 'plan'}: {why}",
                          statement.unit)
            elif kind := _needs_autocommit(node):
                if runner is Runner.PRISMA and not in_block:
                    continue
                if runner is Runner.BHQ and not source.transactional:
                    continue
                where = {
                    Runner.PRISMA: "this statement runs in the file's own BEGIN ... COMMIT block: move it after the "
                    "COMMIT",
                    Runner.FLYWAY: "Flyway runs each migration in one: put it in a migration of its own with Flyway's "
                    "`mixed` setting on",
                    Runner.BHQ: "this plan runs in one: give it a plan of its own with the header "
                    "`-- transactional: false`",
                }[runner]
                yield Hit(f"{kind} cannot run inside a transaction block, and {where}", statement.unit)


RULE = LintRule(
    Rule(
        id="L001",
        name="transaction-control",
        title="Transaction control inside a plan",
        severity=Severity.ERROR,
        rationale="bhq-migrate runs each transactional plan in its own transaction and records it in the "
        "history table in that same transaction. A BEGIN inside the plan is ignored with a "
        "warning; a COMMIT ends the runner's transaction, so a failure after it leaves the "
        "database half-migrated and unrecorded. CREATE INDEX CONCURRENTLY in a transactional plan "
        "fails outright: it cannot run in a transaction block.",
        fix="Delete BEGIN/COMMIT/ROLLBACK from the plan. For statements that cannot run in a transaction "
        "(CREATE INDEX CONCURRENTLY), put them in their own plan with the header `-- transactional: "
        "false`.",
    ),
    check,
)
