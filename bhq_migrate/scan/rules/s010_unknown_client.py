"""S010 unknown-client: ``<receiver>.<model>.<method>(...)`` on a soft-deletable model through a receiver the
scan could not classify as a Prisma client.

Problem: the scan recognises clients by construction (``new PrismaClient()``, ``$extends``, ``$replica``), by
type (``PrismaClient``, ``Prisma.TransactionClient``, an alias) and by the configured names. A receiver it does
not know (a client imported from a file it cannot follow, an untyped parameter, ``this.repo``) hides every
query made through it: without this notice the file would look clean.

Solution: declare the receiver, ``--client 'this.repo'`` (or ``clients = [...]`` in the config file), or give
it a type (``repo: PrismaClient``). Reported once per receiver and file, for information.
"""

from __future__ import annotations

from tree_sitter import Node

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.scan.clients import is_client
from bhq_migrate.scan.model import FileContext, ScanFinding
from bhq_migrate.scan.parser import text, unwrap
from bhq_migrate.scan.prisma_api import ALL_METHODS

RULE = Rule(
    id="S010",
    name="unknown-client",
    title="Query on a soft-deletable model through a receiver not recognised as a Prisma client",
    severity=Severity.INFO,
    rationale="Queries through a receiver the scan cannot classify are not checked at all; saying so keeps "
    "a clean result meaningful.",
    fix="Declare it with --client '<receiver>' (or clients = [...] in the config file), or type it PrismaClient.",
)

_MAX_RECEIVER = 80


def check(call: Node, ctx: FileContext) -> ScanFinding | None:
    """``call`` is not a recognised Prisma call: report it when it looks like one on a soft-deletable model."""
    callee = unwrap(call.child_by_field_name("function"))
    if callee is None or callee.type != "member_expression":
        return None
    method = text(callee.child_by_field_name("property"))
    delegate = unwrap(callee.child_by_field_name("object"))
    if method not in ALL_METHODS or delegate is None or delegate.type != "member_expression":
        return None
    accessor = delegate.child_by_field_name("property")
    receiver = delegate.child_by_field_name("object")
    if accessor is None or receiver is None or is_client(receiver, ctx):
        return None
    model = ctx.catalog.model_for_accessor(text(accessor))
    if model is None or not ctx.catalog.is_soft_deletable(model):
        return None
    name = " ".join(text(receiver).split()).replace("?.", ".")
    if name in ctx.unknown_receivers or len(name) > _MAX_RECEIVER:
        return None
    ctx.unknown_receivers.add(name)
    return ctx.finding(RULE, accessor, f"{model.name}.{method} through '{name}', which is not recognised as a "
                       f"Prisma client: this query and others through it are not checked; declare it with "
                       f"--client '{name}' or type it PrismaClient", model=model.name, method=method)
