"""S001 unscoped-read: a read of a soft-deletable model that does not exclude deleted rows.

Problem: after the soft-delete migration, ``findMany``/``findFirst``/``findUnique``/``count``/``aggregate``/
``groupBy`` on ``Invoice``, ``Contact`` or ``Animal`` return deleted rows unless the top-level ``where``
constrains ``deletedAt``. So do fluent relation reads (``findUnique(...).items()``) and a nested
``include``/``select`` of a soft-deletable list relation without its own ``where``.

Solution: wrap the where in ``activeOnly(...)`` or add ``deletedAt: null`` (a deliberate
``deletedAt: { not: null }`` is accepted too: the query states its intent).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

from tree_sitter import Node

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.scan.model import FileContext, PrismaCall, ScanFinding
from bhq_migrate.scan.models import Model
from bhq_migrate.scan.parser import text, unwrap
from bhq_migrate.scan.prisma_api import CREATE_METHODS, READ_METHODS
from bhq_migrate.scan.rules import s007_needs_review, s011_soft_deleted_relation
from bhq_migrate.scan.scoping import Lookup, Resolver, Verdict, pinned_row_field, property_key

RULE = Rule(
    id="S001",
    name="unscoped-read",
    title="Read of a soft-deletable model does not exclude deleted rows",
    severity=Severity.ERROR,
    rationale="Once rows are soft-deleted, any read whose top-level where does not constrain the soft-delete "
    "field returns deleted invoices, contacts or animals to users and reports.",
    fix="Use where: activeOnly({...}) or add deletedAt: null to the top-level where (nested include/select: "
    "give the relation its own where: { deletedAt: null }).",
)

_MAX_NESTING = 6


def _soft_test(ctx: FileContext, model: Model) -> tuple[str, ...]:
    field = ctx.catalog.soft_delete_field(model)
    return (field.name,) if field is not None else ()


def _excludes_deleted(keys: tuple[str, ...], model: Model | None, resolver: Resolver,
                      depth: int) -> Callable[[str, Node | None], bool]:
    """The soft-delete key, or a unique field pinned to a row known to be live (``where: { id: created.id }``
    after ``const created = await tx.invoice.create(...)``, or after a read that excluded deleted rows)."""
    unique = {name for name, field in model.fields.items() if field.unique} if model is not None else set()

    def live_read(read: Node) -> bool:
        if depth >= _MAX_LIVE_READS:
            return False
        args = read.child_by_field_name("arguments")
        first = next((a for a in args.named_children if a.type != "comment"), None) if args is not None else None
        blame = resolver.blame
        try:
            return _where_verdict(unwrap(first), keys, resolver, depth + 1, model) is Verdict.SCOPED
        finally:
            resolver.blame = blame  # the earlier read's callers are not this read's

    def test(key: str, value: Node | None) -> bool:
        return key in keys or (key in unique and model is not None
                                and pinned_row_field(value, model.accessor, keys, live_read) == key)
    return test


_MAX_LIVE_READS = 3
"""How many reads back a chain of "read by the id of the row read before" is followed."""


def _where_verdict(args: Node | None, keys: tuple[str, ...], resolver: Resolver, depth: int = 0,
                   model: Model | None = None) -> Verdict:
    if args is None:
        return Verdict.UNSCOPED
    if args.type in ("identifier", "shorthand_property_identifier") and resolver.definition(args) is None:
        # args passed in by callers: judge each call site's argument
        return resolver.from_callers(
            args, lambda owner, argument: _where_verdict(unwrap(argument), keys, owner, depth + 1, model), depth
        )
    where = resolver.locate(args, "where")
    if where is Lookup.ABSENT:
        return Verdict.UNSCOPED
    if where is Lookup.UNKNOWN:
        return resolver.declared_args(args) or Verdict.UNKNOWN
    assert not isinstance(where, Lookup)
    owner, node = where  # owner: another module's resolver when an imported function built the args
    return owner.where_verdict(node, _excludes_deleted(keys, model, owner, depth))


def _or_names_key(args: Node | None, key: str, resolver: Resolver) -> bool:
    """Does the call's where hold an ``OR`` with a branch that names the soft-delete key?"""
    where = resolver.lookup(args, "where") if args is not None else None
    if where is None or isinstance(where, Lookup):
        return False
    found = text(where)
    return len(found) < 4000 and re.search(r"\bOR\s*:", found) is not None and re.search(
        rf"\b{re.escape(key)}\b", found) is not None


def _counts(call: PrismaCall, ctx: FileContext, resolver: Resolver, value: Node | None,
            model: Model) -> Iterator[ScanFinding]:
    """``_count: { select: { items: true | { where } } }``: a count of a soft-deletable relation counts deleted
    rows unless its own where excludes them. ``_count: true`` counts every list relation, none filtered."""
    counted_all = unwrap(value)
    if counted_all is not None and counted_all.type == "true":
        yield from _count_all(call, ctx, counted_all, model)
        return
    selected = resolver.lookup(value, "select")
    selected_node = unwrap(selected) if not isinstance(selected, Lookup) else None
    if selected_node is None or selected_node.type != "object":
        return
    for pair in selected_node.named_children:
        if pair.type != "pair":
            continue
        relation_name = text(pair.child_by_field_name("key")).strip("'\"")
        target = ctx.catalog.list_relation_target(model, relation_name)
        keys = _soft_test(ctx, target) if target is not None else ()
        relation_args = unwrap(pair.child_by_field_name("value"))
        if target is None or not keys or relation_args is None or relation_args.type in ("false", "undefined"):
            continue
        nested_args = relation_args if relation_args.type != "true" else None
        if _where_verdict(nested_args, keys, resolver) is Verdict.UNSCOPED:
            yield ctx.finding(RULE, pair.child_by_field_name("key") or pair,
                              f"_count of {model.name}.{relation_name} counts soft-deleted {target.name} rows "
                              f"(no {keys[0]} filter in its where)",
                              model=target.name, method=f"{call.method}._count.{relation_name}")


def _count_all(call: PrismaCall, ctx: FileContext, node: Node, model: Model) -> Iterator[ScanFinding]:
    """``_count: true``: one finding naming the soft-deletable list relations it counts unfiltered."""
    counted: list[str] = []
    field = ""
    for name in model.fields:
        target = ctx.catalog.list_relation_target(model, name)
        keys = _soft_test(ctx, target) if target is not None else ()
        if keys:
            counted.append(name)
            field = field or keys[0]
    if counted:
        yield ctx.finding(RULE, node, f"_count: true counts every relation of {model.name}, soft-deleted rows "
                          f"included ({', '.join(counted)}); select each with its own where: {{ {field}: null }}",
                          model=model.name, method=f"{call.method}._count")


_RELATION_FILTERS = ("some", "every", "none")


def _names(keys: tuple[str, ...]) -> Callable[[str, Node | None], bool]:
    return lambda key, _value: key in keys


def relation_filters(call: PrismaCall, ctx: FileContext, resolver: Resolver, where: Node | None, model: Model,
                     depth: int = 0) -> Iterator[ScanFinding]:
    """``where: { items: { some: { ... } } }``: a relation filter on a soft-deletable list relation matches
    soft-deleted related rows unless its inner where excludes them."""
    where = unwrap(where)
    if where is not None and where.type in ("identifier", "shorthand_property_identifier"):
        where = resolver.definition(where)
    if where is None or where.type != "object" or depth > 3:
        return
    for pair in where.named_children:
        if pair.type != "pair":
            continue
        key = property_key(pair) or ""
        if key in ("AND", "OR", "NOT"):
            continue
        target = ctx.catalog.list_relation_target(model, key)
        value = unwrap(pair.child_by_field_name("value"))
        if target is None or value is None or value.type != "object":
            continue
        keys = _soft_test(ctx, target)
        for inner in value.named_children:
            operator = property_key(inner) if inner.type == "pair" else None
            if operator not in _RELATION_FILTERS:
                continue
            inner_where = inner.child_by_field_name("value")
            if keys and resolver.where_verdict(inner_where, _names(keys)) is Verdict.UNSCOPED:
                yield ctx.finding(RULE, inner.child_by_field_name("key") or inner,
                                  f"relation filter {model.name}.{key}.{operator} also matches soft-deleted "
                                  f"{target.name} rows (no {keys[0]} in it)",
                                  model=target.name, method=f"{call.method}.where.{key}.{operator}")
            yield from relation_filters(call, ctx, resolver, inner_where, target, depth + 1)


def caller_note(resolver: Resolver, ctx: FileContext) -> str:
    """Where the unscoped where came from, when a caller passed it in (in this file or another one)."""
    blame = resolver.blame
    if blame is None:
        return ""
    line = blame.call.start_point[0] + 1
    if blame.path is None or ctx.path is None or blame.path == ctx.path:
        return f" (passed in by the call at line {line})"
    try:
        shown = blame.path.relative_to(Path.cwd()).as_posix()  # as files are displayed: relative when under cwd
    except ValueError:
        shown = blame.path.as_posix()
    return f" (passed in by the call at {shown}:{line})"


def check(call: PrismaCall, ctx: FileContext, resolver: Resolver) -> Iterator[ScanFinding]:
    model = call.model
    if call.fluent_from is not None:
        # Only a list relation can be filtered; a to-one relation read returns the related row whatever its
        # soft-delete field says (S011, once per relation field).
        if ctx.catalog.list_relation_target(call.fluent_from, call.method) is None:
            if _soft_test(ctx, model):
                warning = s011_soft_deleted_relation.finding(call, ctx, call.anchor, call.fluent_from, call.method,
                                                             model)
                if warning is not None:
                    yield warning
            return
    elif call.method not in READ_METHODS:
        # a write's include/select returns existing related rows too (a create's only new ones)
        if call.method not in CREATE_METHODS:
            yield from _nested(call, ctx, resolver, call.args, model, 0)
        return
    keys = _soft_test(ctx, model)
    if keys:
        resolver.reset()
        verdict = _where_verdict(call.args, keys, resolver, model=model)
        what = (f"{call.fluent_from.name}.{call.method}() relation read" if call.fluent_from
                else f"{model.accessor}.{call.method}()")
        if verdict is Verdict.UNSCOPED and _or_names_key(call.args, keys[0], resolver):
            yield ctx.finding(RULE, call.anchor,
                              f"{what}: one branch of an OR matches soft-deleted {model.name} rows on purpose "
                              f"({keys[0]} named there) and the other branches match rows whatever their "
                              f"{keys[0]}; if both are intended, suppress with a reason"
                              + caller_note(resolver, ctx), model=model.name, method=call.method)
        elif verdict is Verdict.UNSCOPED:
            yield ctx.finding(RULE, call.anchor,
                              f"{what} reads soft-deletable {model.name} without filtering {keys[0]}"
                              + caller_note(resolver, ctx), model=model.name, method=call.method)
        elif verdict is Verdict.UNKNOWN:
            yield ctx.finding(s007_needs_review.RULE, call.anchor,
                              f"{what}: cannot tell whether the where excludes deleted {model.name} rows",
                              model=model.name, method=call.method, cause=resolver.noted_cause())
    yield from _nested(call, ctx, resolver, call.args, model, 0)
    where = resolver.lookup(call.args, "where") if call.args is not None else Lookup.ABSENT
    if not isinstance(where, Lookup) and call.fluent_from is None:
        yield from relation_filters(call, ctx, resolver, where, model)


def _nested(call: PrismaCall, ctx: FileContext, resolver: Resolver, args: Node | None, model: Model,
            depth: int) -> Iterator[ScanFinding]:
    """``include``/``select`` of a soft-deletable list relation must carry its own ``deletedAt`` filter."""
    if args is None or depth > _MAX_NESTING:
        return
    for clause in ("include", "select"):
        found = resolver.lookup(args, clause)
        if isinstance(found, Lookup):
            continue
        value = unwrap(found)
        if value is not None and value.type in ("identifier", "shorthand_property_identifier"):
            value = resolver.definition(value)  # include: { ... } kept in a local variable
        if value is None or value.type != "object":
            continue
        for pair in value.named_children:
            if pair.type != "pair":
                continue
            relation_name = text(pair.child_by_field_name("key")).strip("'\"")
            if relation_name == "_count":
                yield from _counts(call, ctx, resolver, pair.child_by_field_name("value"), model)
                continue
            target = ctx.catalog.relation_target(model, relation_name)
            if target is None:
                continue
            relation_args = unwrap(pair.child_by_field_name("value"))
            if relation_args is not None and relation_args.type in ("false", "undefined", "null"):
                continue
            key_node = pair.child_by_field_name("key") or pair
            nested_args = relation_args if relation_args is not None and relation_args.type != "true" else None
            keys = _soft_test(ctx, target)
            if keys and ctx.catalog.list_relation_target(model, relation_name) is None:
                warning = s011_soft_deleted_relation.finding(call, ctx, key_node, model, relation_name, target)
                if warning is not None:
                    yield warning
            if keys and ctx.catalog.list_relation_target(model, relation_name) is not None:
                resolver.clear_cause()
                verdict = _where_verdict(nested_args, keys, resolver)
                if verdict is Verdict.UNSCOPED:
                    yield ctx.finding(
                        RULE, key_node,
                        f"{clause} of {model.name}.{relation_name} returns soft-deleted {target.name} rows "
                        f"(no {keys[0]} filter)",
                        model=target.name, method=f"{call.method}.{clause}.{relation_name}",
                    )
                elif verdict is Verdict.UNKNOWN:
                    yield ctx.finding(
                        s007_needs_review.RULE, key_node,
                        f"{clause} of {model.name}.{relation_name}: cannot tell whether deleted {target.name} "
                        f"rows are excluded",
                        model=target.name, method=f"{call.method}.{clause}.{relation_name}",
                        cause=resolver.noted_cause(),
                    )
            yield from _nested(call, ctx, resolver, nested_args, target, depth + 1)
