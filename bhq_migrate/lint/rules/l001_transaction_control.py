"""L001 transaction-control: BEGIN/COMMIT/ROLLBACK/SAVEPOINT inside a plan."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import TransactionStmtKind

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.context import Hit, LintContext, LintRule

_WHY = {
    TransactionStmtKind.TRANS_STMT_BEGIN: "the runner already opened the transaction; PostgreSQL only warns "
    "'there is already a transaction in progress'",
    TransactionStmtKind.TRANS_STMT_START: "the runner already opened the transaction; PostgreSQL only warns "
    "'there is already a transaction in progress'",
    TransactionStmtKind.TRANS_STMT_COMMIT: "it ends the runner's transaction early: what follows runs "
    "without atomicity and the history row no longer commits with the plan",
    TransactionStmtKind.TRANS_STMT_ROLLBACK: "it ends the runner's transaction early",
}


def check(context: LintContext) -> Iterator[Hit]:
    for statement in context.of_type(ast.TransactionStmt):
        node = statement.unit.node
        assert isinstance(node, ast.TransactionStmt)
        keyword = statement.unit.sql.split(None, 1)[0].upper().rstrip(";")
        why = _WHY.get(node.kind, "the runner owns the transaction")
        yield Hit(f"{keyword} inside a plan: {why}", statement.unit)


RULE = LintRule(
    Rule(
        id="L001",
        name="transaction-control",
        title="Transaction control inside a plan",
        severity=Severity.ERROR,
        rationale="bhq-migrate runs each transactional plan in its own transaction and records it in the "
        "history "
        "table in that same transaction. A BEGIN inside the plan is ignored with a warning; a COMMIT ends "
        "the "
        "runner's transaction, so a failure after it leaves the database half-migrated and unrecorded.",
        fix="Delete BEGIN/COMMIT/ROLLBACK from the plan. For statements that cannot run in a transaction "
        "(CREATE INDEX CONCURRENTLY), put them in their own plan with the header `-- transactional: false`.",
    ),
    check,
)
