"""S002 hard-delete: ``delete``/``deleteMany`` on a soft-deletable model.

Problem: the seed plan makes deletes soft so invoices, contacts and animals stay referable (payments,
history, audits). A hard delete removes the row (or fails on a foreign key) and bypasses that.

Solution: ``update({ where, data: softDelete() })`` / ``updateMany(...)`` setting ``deletedAt``.
"""

from __future__ import annotations

from collections.abc import Iterator

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.scan.model import FileContext, PrismaCall, ScanFinding
from bhq_migrate.scan.prisma_api import DELETE_METHODS
from bhq_migrate.scan.scoping import Resolver

RULE = Rule(
    id="S002",
    name="hard-delete",
    title="Hard delete of a soft-deletable model",
    severity=Severity.ERROR,
    rationale="Soft-deletable rows must stay in the table with deletedAt set; delete/deleteMany removes them "
    "and everything that references them.",
    fix="Replace delete(...) with update({ where, data: softDelete() }) (deleteMany -> updateMany).",
)


def check(call: PrismaCall, ctx: FileContext, resolver: Resolver) -> Iterator[ScanFinding]:
    if call.fluent_from is None and call.method in DELETE_METHODS and ctx.catalog.is_soft_deletable(call.model):
        yield ctx.finding(RULE, call.anchor,
                          f"{call.model.accessor}.{call.method}() hard-deletes soft-deletable {call.model.name}",
                          model=call.model.name, method=call.method)
