"""L055 enum-value-used-in-same-transaction: a value added to an enum is used before the transaction commits."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.context import Hit, LintContext, LintRule


def _string_constants(node: object) -> Iterator[str]:
    if isinstance(node, ast.A_Const) and isinstance(node.val, ast.String):
        yield node.val.sval
    if isinstance(node, ast.Node):
        for name in node:
            yield from _string_constants(getattr(node, name))
    elif isinstance(node, tuple):
        for item in node:
            yield from _string_constants(item)


def check(context: LintContext) -> Iterator[Hit]:
    for source in context.sources:
        if not context.in_transaction(source):
            continue
        added: dict[str, str] = {}
        for statement in context.statements_in(source):
            node = statement.unit.node
            if isinstance(node, ast.AlterEnumStmt) and node.newVal and not node.oldVal:
                added[node.newVal] = ".".join(getattr(part, "sval", "") for part in node.typeName or ())
                continue
            used = sorted(set(_string_constants(node)) & set(added))
            if used:
                yield Hit(
                    f"'{used[0]}' was added to {added[used[0]]} in this transaction and cannot be used before it "
                    "commits: PostgreSQL fails with 'unsafe use of new value'",
                    statement.unit,
                )


RULE = LintRule(
    Rule(
        id="L055",
        name="enum-value-used-in-same-transaction",
        title="A new enum value used in the transaction that added it",
        severity=Severity.ERROR,
        rationale="Since PostgreSQL 12, ALTER TYPE ... ADD VALUE may run in a transaction, but the new value cannot "
        "be used (in a default, a CHECK, an UPDATE) until that transaction commits: the migration fails "
        "with 'unsafe use of new value'.",
        fix="Add the value in one migration (or plan) and use it in the next.",
    ),
    check,
)
