"""Wrappers that take the model by name: ``pagedQuery("link", args)`` running ``client[model].findMany(...)``.

In the wrapper's own file the model is chosen at run time (an S007 info). The real query is at each caller,
which names the model as a string. So the scan works in two passes:

1. while files are analysed, a ``client[model].<method>(...)`` whose ``model`` is a parameter of a named
   function is recorded as a :class:`Wrapper`;
2. every file that mentions a wrapper's name is then searched for calls of it (same file, or imported
   through the project index). A call whose model argument is a string naming a model becomes a Prisma call
   at the caller, checked by the ordinary rules. The wrapper's args expression is judged with the wrapper's
   parameters bound to the caller's arguments: ``{ ...criteria, where }`` at the caller, ``{ ...args, take }``
   in the wrapper, both seen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tree_sitter import Node

from bhq_migrate.scan.clients import first_argument
from bhq_migrate.scan.model import FileContext, PrismaCall
from bhq_migrate.scan.parser import ancestors, text, unwrap
from bhq_migrate.scan.project import Module, ProjectIndex
from bhq_migrate.scan.scoping import Resolver

_FUNCTIONS = frozenset({"function_declaration", "function_expression", "arrow_function", "method_definition",
                        "function", "generator_function_declaration"})


@dataclass(frozen=True)
class Wrapper:
    """A function forwarding its ``model_param``-th argument to ``client[model].<method>(...)``."""

    path: str
    name: str
    """The function's name in its module (what callers import or call)."""
    function_start: int
    """Byte offset of the function node, to find it again in a re-parsed tree."""
    call_start: int
    """Byte offset of the ``client[model].<method>(...)`` call."""
    model_param: int
    method: str


def _function_name(function: Node) -> str | None:
    if function.type in ("function_declaration", "generator_function_declaration", "method_definition"):
        name = function.child_by_field_name("name")
        return text(name) if name is not None else None
    parent = function.parent
    if parent is not None and parent.type == "variable_declarator":
        name = parent.child_by_field_name("name")
        return text(name) if name is not None and name.type == "identifier" else None
    return None


def _parameter_index(function: Node, name: str) -> int | None:
    return Resolver._parameter_index(function, name)


def wrapper_at(call: Node, path: Path) -> Wrapper | None:
    """The wrapper whose body holds the dynamic call ``client[model].<method>(...)``, if ``model`` is one of
    its parameters."""
    callee = unwrap(call.child_by_field_name("function"))
    if callee is None or callee.type != "member_expression":
        return None
    subscript = unwrap(callee.child_by_field_name("object"))
    if subscript is None or subscript.type != "subscript_expression":
        return None
    index = unwrap(subscript.child_by_field_name("index"))
    if index is None or index.type != "identifier":
        return None
    function = next((a for a in ancestors(call) if a.type in _FUNCTIONS), None)
    if function is None:
        return None
    name = _function_name(function)
    position = _parameter_index(function, text(index))
    if name is None or position is None:
        return None
    return Wrapper(str(path), name, function.start_byte, call.start_byte, position,
                   text(callee.child_by_field_name("property")))


def mentions(wrappers: list[Wrapper]) -> re.Pattern[bytes]:
    names = sorted({w.name for w in wrappers})
    return re.compile(rb"(?<![\w$])(?:" + b"|".join(re.escape(n.encode()) for n in names) + rb")\s*[(<]")


def _node_at(root: Node, start: int, types: frozenset[str] | set[str]) -> Node | None:
    node = root.descendant_for_byte_range(start, start + 1)
    while node is not None and not (node.start_byte == start and node.type in types):
        node = node.parent
    return node


def _model_name(argument: Node | None, resolver: Resolver) -> str | None:
    argument = unwrap(argument)
    if argument is not None and argument.type == "identifier":
        argument = resolver.definition(argument)
    if argument is not None and argument.type == "string":
        return text(argument)[1:-1]
    return None


def wrapper_calls(ctx: FileContext, module: Module, resolver: Resolver, index: ProjectIndex,
                  wrappers: list[Wrapper]) -> list[tuple[PrismaCall, Resolver]]:
    """The calls of a wrapper in ``module``, each as a Prisma call at the caller plus the resolver (the
    wrapper's module, its parameters bound to this call's arguments) that judges its args."""
    by_function: dict[tuple[str, int], list[Wrapper]] = {}
    for known in wrappers:
        by_function.setdefault((known.path, known.function_start), []).append(known)
    names = {w.name for w in wrappers}
    found: list[tuple[PrismaCall, Resolver]] = []
    for match in mentions(wrappers).finditer(module.source):
        name_node = module.root.named_descendant_for_byte_range(match.start(), match.start() + 1)
        if name_node is None or text(name_node) not in names:
            continue
        callee = name_node.parent if name_node.type == "property_identifier" else name_node
        call = callee.parent if callee is not None else None
        if callee is None or call is None or call.type != "call_expression":
            continue
        function_node = call.child_by_field_name("function")
        if function_node is None or function_node.id != callee.id:
            continue
        target = _target(callee, module, resolver, index)
        if target is None:
            continue
        owner, function = target
        args_node = call.child_by_field_name("arguments")
        args = [c for c in args_node.named_children if c.type != "comment"] if args_node is not None else []
        for wrapper in by_function.get((str(owner.path), function.start_byte), []):
            if wrapper.model_param >= len(args):
                continue
            accessor = _model_name(args[wrapper.model_param], resolver)
            model = ctx.catalog.model_for_accessor(accessor) if accessor else None
            inner = _node_at(owner.root, wrapper.call_start, {"call_expression"})
            if model is None or inner is None:
                continue
            wrapper_resolver = Resolver(owner.root, tuple(resolver.helpers), index, owner, resolver.hops + 1,
                                        tuple(resolver.unscoped_helpers))
            wrapper_resolver.base_frames[function.id] = (resolver, args)
            found.append((PrismaCall(call, model, wrapper.method, unwrap(args[wrapper.model_param]) or call,
                                     first_argument(inner)), wrapper_resolver))
    return found


def _target(callee: Node, module: Module, resolver: Resolver, index: ProjectIndex) -> tuple[Module, Node] | None:
    """The function a wrapper call runs: ``name(...)`` (imported, top-level, or destructured from an imported
    object: ``const { pagedQuery } = prisma``) or ``obj.name(...)`` of an imported object or namespace."""
    module.ensure_indexed()
    if callee.type == "member_expression":
        obj = unwrap(callee.child_by_field_name("object"))
        prop = callee.child_by_field_name("property")
        if obj is None or obj.type != "identifier" or prop is None:
            return None
        return resolver.member_of(text(obj), text(prop))
    name = text(callee)
    if name in module.imports:
        return index.imported(module, name)
    local = module.declarations.get(name)
    if local is not None:
        return module, local
    value = resolver.definition(callee)
    if value is None:
        holder = resolver.destructured_from(callee)
        return resolver.member_of(holder, name) if holder is not None else None
    return None
