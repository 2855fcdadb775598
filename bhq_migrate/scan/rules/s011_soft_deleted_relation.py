"""S011 soft-deleted-relation: ``include``/``select`` of a to-one relation whose model is soft-deletable.

Problem: Prisma can filter a list relation (``items: { where: { deletedAt: null } }``) but not a to-one
relation: ``include: { contact: true }`` returns the contact even when it was soft-deleted, and no ``where``
can be added there. Reported once per relation field for the whole scan, where it is first used.

Solution: read through a view that hides soft-deleted rows, or check ``contact.deletedAt`` after the read (and
treat a deleted parent as absent).
"""

from __future__ import annotations

from tree_sitter import Node

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.scan.model import FileContext, PrismaCall, ScanFinding
from bhq_migrate.scan.models import Model

RULE = Rule(
    id="S011",
    name="soft-deleted-relation",
    title="To-one relation to a soft-deletable model cannot be filtered by Prisma",
    severity=Severity.WARNING,
    rationale="A to-one include/select returns the related row even when it is soft-deleted, and Prisma has "
    "no where for it; the reader sees a deleted contact, invoice or animal as if it were live.",
    fix="Read through a view that hides soft-deleted rows, or check <relation>.deletedAt after the read.",
)


def finding(call: PrismaCall, ctx: FileContext, key: Node, model: Model, relation: str,
            target: Model) -> ScanFinding | None:
    """The warning for ``relation`` of ``model``, the first time this file uses it."""
    marker = f"{model.name}.{relation}"
    if marker in ctx.reported_relations:
        return None
    ctx.reported_relations.add(marker)
    field = ctx.catalog.soft_delete_field(target)
    return ctx.finding(RULE, key, f"{marker} is a to-one relation to soft-deletable {target.name}: it is returned "
                       f"even when soft-deleted, and Prisma cannot filter it; use a view, or check "
                       f"{relation}.{field.name if field else 'deletedAt'} after the read (reported once per "
                       f"relation field)", model=target.name, method=f"{call.method}.{relation}")
