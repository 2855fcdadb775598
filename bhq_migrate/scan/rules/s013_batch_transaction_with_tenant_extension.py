"""S013 batch-transaction-with-tenant-extension: a sequential ``$transaction([...])`` in a file that sets the
tenant through a client extension.

Problem: a tenant extension (README "Tenant isolation (plan 004)", Prisma's row-level-security example) runs
each operation in a transaction of its own that first calls ``set_config('app.tenant_id', $1, true)``.
Transactions do not nest, so the operations of a sequential batch ``$transaction([a, b])`` made through the
extended client each commit on their own: the batch is no longer atomic, and a failure in ``b`` does not roll
back ``a`` (prisma-client-extensions #55). Made through the base client instead, the batch runs with no tenant
set. Solution: one interactive transaction that sets the tenant itself,
``$transaction(async (tx) => { await tx.$executeRaw`SELECT set_config(...)`; ... })``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tree_sitter import Node

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.scan.model import FileContext, ScanFinding
from bhq_migrate.scan.rules.s012_session_tenant_setting import TENANT_SETTING

RULE = Rule(
    id="S013",
    name="batch-transaction-with-tenant-extension",
    title="A sequential $transaction([...]) batch in a file that sets the tenant through a client extension",
    severity=Severity.ERROR,
    rationale="The extension runs each operation in a transaction of its own to set the tenant; transactions do "
    "not nest, so a sequential batch loses its atomicity (prisma-client-extensions #55), or, on the base client, "
    "runs without the tenant.",
    fix="Use an interactive transaction that sets the tenant first: $transaction(async (tx) => { await "
    "tx.$executeRaw`SELECT set_config('app.tenant_id', ${id}, true)`; ... }).",
)

_EXTENDS = re.compile(rb"\$extends\s*\(")
_TENANT_SET_CONFIG = re.compile(rb"\bset_config\s*\(\s*" + TENANT_SETTING.encode(), re.IGNORECASE)


def sets_tenant_through_extension(source: bytes) -> bool:
    return _EXTENDS.search(source) is not None and _TENANT_SET_CONFIG.search(source) is not None


def check_file(ctx: FileContext) -> Iterator[ScanFinding]:
    if not sets_tenant_through_extension(ctx.source):
        return
    for call, anchor in _batch_transactions(ctx.root):
        del call
        yield ctx.finding(RULE, anchor, "$transaction([...]) batch in a file with a tenant extension: each "
                          "operation commits in the extension's own transaction, so the batch is not atomic",
                          method="$transaction")


def _batch_transactions(root: Node) -> Iterator[tuple[Node, Node]]:
    """``<anything>.$transaction([ ... ])`` calls whose first argument is an array literal."""
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "call_expression":
            callee = node.child_by_field_name("function")
            arguments = node.child_by_field_name("arguments")
            if callee is not None and callee.type == "member_expression" and arguments is not None:
                prop = callee.child_by_field_name("property")
                first = next((child for child in arguments.named_children if child.type != "comment"), None)
                if prop is not None and prop.text == b"$transaction" and first is not None and first.type == "array":
                    yield node, prop
        stack.extend(reversed(node.children))
