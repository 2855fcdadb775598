"""L054 uncommitted-transaction: a file that opens a transaction with BEGIN and never ends it."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import TransactionStmtKind

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.context import AnalysedStatement, Hit, LintContext, LintRule

_OPEN = {TransactionStmtKind.TRANS_STMT_BEGIN, TransactionStmtKind.TRANS_STMT_START}
_CLOSE = {
    TransactionStmtKind.TRANS_STMT_COMMIT,
    TransactionStmtKind.TRANS_STMT_ROLLBACK,
    TransactionStmtKind.TRANS_STMT_COMMIT_PREPARED,
    TransactionStmtKind.TRANS_STMT_PREPARE,
}


def check(context: LintContext) -> Iterator[Hit]:
    for source in context.sources:
        opened: AnalysedStatement | None = None
        for statement in context.statements_in(source):
            node = statement.unit.node
            if isinstance(node, ast.TransactionStmt):
                if node.kind in _OPEN:
                    opened = statement
                elif node.kind in _CLOSE:
                    opened = None
        if opened is not None:
            yield Hit(
                "BEGIN without a matching COMMIT: the transaction stays open after the file ends, holding its locks "
                "until the connection closes, and its changes are rolled back then",
                opened.unit,
            )


RULE = LintRule(
    Rule(
        id="L054",
        name="uncommitted-transaction",
        title="BEGIN without COMMIT",
        severity=Severity.ERROR,
        rationale="A file that starts a transaction and never commits leaves it open: its locks block the table "
        "until the session ends, and then every change in it is rolled back although the tool may have "
        "recorded the migration as applied.",
        fix="End the transaction with COMMIT at the end of the file (or remove BEGIN when the runner manages "
        "transactions).",
    ),
    check,
)
