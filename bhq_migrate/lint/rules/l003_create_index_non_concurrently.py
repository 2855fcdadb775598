"""L003 create-index-non-concurrently: CREATE INDEX without CONCURRENTLY on an existing table."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.analysis import display_name
from bhq_migrate.lint.context import Hit, LintContext, LintRule


def check(context: LintContext) -> Iterator[Hit]:
    for statement in context.of_type(ast.IndexStmt):
        node = statement.unit.node
        assert isinstance(node, ast.IndexStmt)
        if node.concurrent or not statement.table_existed:
            continue
        name = f' "{node.idxname}"' if node.idxname else ""
        yield Hit(
            f"CREATE INDEX{name} on existing table {display_name(statement.effect.object or '')} takes a "
            "SHARE lock: every INSERT, UPDATE and DELETE waits for the whole build",
            statement.unit,
        )


RULE = LintRule(
    Rule(
        id="L003",
        name="create-index-non-concurrently",
        title="CREATE INDEX without CONCURRENTLY on an existing table",
        severity=Severity.WARNING,
        rationale="A plain CREATE INDEX holds a SHARE lock for the whole build, blocking every write to the "
        "table; inside a plan's transaction the lock is held until the plan commits.",
        fix="Use CREATE INDEX CONCURRENTLY in a plan of its own with `-- transactional: false` (it cannot "
        "run in a transaction). It waits for older transactions, and a failed build leaves an INVALID "
        "index that `IF NOT EXISTS` keeps: drop it and retry.",
    ),
    check,
)
