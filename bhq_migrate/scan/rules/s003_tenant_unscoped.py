"""S003 tenant-unscoped: a read or write on a tenant-owned model whose where has no tenant key.

Problem: BreederHQ is multi-tenant in one database; a ``findUnique({ where: { id } })`` on ``Invoice``
returns another tenant's invoice to anyone who guesses an id. Every query on a model with a ``tenantId``
must say which tenant, directly or through the relation (``tenant: { id: tenantId }``).

Solution: add ``tenantId`` to the where (for ``findUnique`` use ``findFirst`` or a compound unique key
that includes the tenant). Filtering through a to-one parent that is itself tenant-scoped
(``payment.findMany({ where: { invoice: { tenantId } } })``) counts. A warning by default: some queries are
scoped by a prior check.
"""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.scan.model import FileContext, PrismaCall, ScanFinding
from bhq_migrate.scan.parser import unwrap
from bhq_migrate.scan.prisma_api import READ_METHODS, WRITE_METHODS
from bhq_migrate.scan.rules import s007_needs_review
from bhq_migrate.scan.rules.s001_unscoped_read import caller_note
from bhq_migrate.scan.scoping import Lookup, Resolver, Verdict

RULE = Rule(
    id="S003",
    name="tenant-unscoped",
    title="Query on a tenant-owned model does not filter by tenant",
    severity=Severity.WARNING,
    rationale="Without the tenant key in the where, a query can read or change another tenant's rows "
    "(an id guessed or leaked is enough).",
    fix="Add the tenant field (tenantId) or the tenant relation (tenant: { id }) to the where; for "
    "findUnique use findFirst or a compound unique key including the tenant.",
)


def check(call: PrismaCall, ctx: FileContext, resolver: Resolver) -> Iterator[ScanFinding]:
    if call.fluent_from is not None or call.method not in (READ_METHODS | WRITE_METHODS):
        return
    model = call.model
    tenant = ctx.catalog.tenant_field(model)
    if tenant is None:
        return
    accepted = {tenant, *ctx.catalog.tenant_relations(model)}

    def names_tenant(key: str, value: Node | None) -> bool:
        # compound unique keys (tenantId_number) name the tenant too
        if key in accepted or tenant in key.split("_"):
            return True
        return _through_parent(key, value)

    def _through_parent(key: str, value: Node | None) -> bool:
        """``invoice: { tenantId }`` (or ``{ is: { tenantId } }``): a to-one parent that is tenant-scoped."""
        field = model.fields.get(key)
        parent = ctx.catalog.relation_target(model, key)
        if field is None or field.is_list or parent is None or value is None:
            return False
        parent_tenant = ctx.catalog.tenant_field(parent)
        if parent_tenant is None:
            return False
        parent_accepted = {parent_tenant, *ctx.catalog.tenant_relations(parent)}
        nested = resolver.lookup(value, "is")
        target = nested if not isinstance(nested, Lookup) else value
        return resolver.where_verdict(
            target, lambda k, _v: k in parent_accepted or parent_tenant in k.split("_"), helper_scopes=False
        ) is Verdict.SCOPED

    def args_verdict(owner: Resolver, args: Node | None, depth: int) -> Verdict:
        if args is None:
            return Verdict.UNSCOPED
        if args.type in ("identifier", "shorthand_property_identifier") and owner.definition(args) is None:
            return owner.from_callers(
                args, lambda caller, argument: args_verdict(caller, unwrap(argument), depth + 1), depth)
        where = owner.locate(args, "where")
        if where is Lookup.ABSENT:
            return Verdict.UNSCOPED
        if where is Lookup.UNKNOWN:
            return Verdict.UNKNOWN
        assert not isinstance(where, Lookup)
        where_owner, node = where
        return where_owner.where_verdict(node, names_tenant, helper_scopes=False)

    resolver.reset()
    verdict = args_verdict(resolver, call.args, 0)
    if verdict is Verdict.UNSCOPED:
        yield ctx.finding(RULE, call.anchor,
                          f"{model.accessor}.{call.method}() on tenant-owned {model.name} has no {tenant} "
                          f"in its where" + caller_note(resolver, ctx), model=model.name, method=call.method)
    elif verdict is Verdict.UNKNOWN:
        yield ctx.finding(s007_needs_review.RULE, call.anchor,
                          f"{model.accessor}.{call.method}(): cannot tell whether the where filters {tenant}",
                          model=model.name, method=call.method, severity=Severity.INFO)
