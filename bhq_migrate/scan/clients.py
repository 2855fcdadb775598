"""Recognising the Prisma client in source code and turning ``client.model.method(...)`` into a
:class:`PrismaCall`.

A client is recognised by construction and by type, whatever it is called: ``new PrismaClient(...)`` (or a
class named in :data:`~bhq_migrate.scan.prisma_api.CLIENT_TYPE`), what ``$extends(...)``/``$replica()`` return
on a client, and anything typed or cast ``PrismaClient``, ``Prisma.TransactionClient`` or a local type alias of
them: variables, parameters, class fields (``this.#client``, ``this._db``, ``constructor(private db: ...)``),
``as`` casts and ``satisfies``. The configured names are an addition to that:

a configured name (``prisma``, ``db``), a configured member chain (``this.prisma``,
``prisma.client``), any member chain ending in a configured simple name (``this.deps.prisma``), the
parameter of a ``$transaction(async (tx) => ...)`` (or ``transaction(...)`` wrapper) callback, a
parameter typed ``Prisma.TransactionClient`` / ``PrismaClient`` / ``PrismaService``, a destructured
client (``const { prisma: client } = ctx``), a plain alias (``const client = tx ?? prisma``), what
``$replica()``/``$extends()`` return, and a configured accessor call (``this.prismaService.txClient()``).
``const { invoice } = prisma`` binds a model delegate.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Literal

from tree_sitter import Node

from bhq_migrate.scan.model import FileContext, PrismaCall
from bhq_migrate.scan.models import Model
from bhq_migrate.scan.parser import ancestors, text, unwrap
from bhq_migrate.scan.prisma_api import (
    ALL_METHODS,
    CLIENT_TYPE,
    READ_METHODS,
    SINGLE_READS,
    TRANSACTION_METHODS,
)
from bhq_migrate.scan.project import MAX_HOPS, Module, ProjectIndex
from bhq_migrate.scan.scoping import Resolver
from bhq_migrate.scan.sites import Sites, client_type_spans, declarators_mentioning

__all__ = ["DYNAMIC", "READ_METHODS", "client_type_text", "collect_bindings", "delegate_model", "first_argument",
           "imported_client_types", "inherited_client_fields", "is_client", "prisma_call", "project_clients"]

_WHITESPACE = re.compile(r"\s+")


@cache
def configured_names(clients: tuple[str, ...]) -> tuple[frozenset[str], frozenset[str]]:
    """Split the configured clients into simple names and chains (``this.prisma``, ``this.db.txClient()``)."""
    simple = frozenset(name for name in clients if "." not in name and "(" not in name)
    chains = frozenset(name.replace(" ", "") for name in clients if "." in name or "(" in name)
    return simple, chains


DYNAMIC: Literal["dynamic"] = "dynamic"
"""The model of ``client[expression]``: chosen at run time."""


# Prisma's own methods that return a client: read replicas and client extensions.
_CLIENT_RETURNING = frozenset({"$replica", "$primary", "$extends"})


def _chain(node: Node) -> str:
    return _WHITESPACE.sub("", text(node)).replace("?.", ".")


_CAST_TYPES = frozenset({"as_expression", "satisfies_expression"})
_CONSTRUCTION_WORDS = ("PrismaClient", "$extends", "$replica")


def is_client_type(type_text: str, ctx: FileContext) -> bool:
    """Does a type annotation name a client type (``PrismaClient``, ``Prisma.TransactionClient``, an alias)?"""
    if CLIENT_TYPE.search(type_text):
        return True
    return any(re.search(rf"(?<![\w$]){re.escape(alias)}(?![\w$])", type_text) for alias in ctx.client_types)


def _cast_to_client(node: Node, ctx: FileContext) -> bool:
    """``x as PrismaClient`` / ``x satisfies PrismaClient`` (looking through parentheses and ``await``)."""
    current: Node | None = node
    while current is not None and current.type in ("parenthesized_expression", "await_expression",
                                                    "non_null_expression", *_CAST_TYPES):
        if current.type in _CAST_TYPES:
            cast = current.named_children[-1] if current.named_children else None
            if cast is not None and is_client_type(text(cast), ctx):
                return True
        current = next((c for c in current.named_children if c.type != "comment"), None)
    return False


def is_client(node: Node | None, ctx: FileContext) -> bool:
    """Whether the expression ``node`` evaluates to a Prisma client (see the module docstring)."""
    if node is not None and _cast_to_client(node, ctx):
        return True
    node = unwrap(node)
    if node is None:
        return False
    if node.type == "new_expression":
        constructor = node.child_by_field_name("constructor")
        return constructor is not None and is_client_type(text(constructor), ctx)
    if node.type == "identifier":
        name = text(node)
        return name in ctx.client_names or ctx.client_alias_at(name, node.start_byte)
    if node.type == "member_expression":
        chain = _chain(node)
        simple, dotted = configured_names(ctx.config.clients)
        if chain in dotted or chain in ctx.client_names:
            return True
        prop = node.child_by_field_name("property")
        if prop is None:
            return False
        obj = unwrap(node.child_by_field_name("object"))
        if obj is not None and obj.type == "this" and text(prop) in ctx.client_fields:
            return True
        return text(prop) in simple
    if node.type == "call_expression":
        function = unwrap(node.child_by_field_name("function"))
        if function is not None and function.type == "identifier" and text(function) in ctx.client_functions:
            return True
        _simple, chains = configured_names(ctx.config.clients)
        if _chain(node) in chains:  # a configured accessor call such as this.prismaService.txClient()
            return True
        callee = unwrap(node.child_by_field_name("function"))
        if callee is not None and callee.type == "member_expression":
            prop = callee.child_by_field_name("property")
            return text(prop) in _CLIENT_RETURNING and is_client(callee.child_by_field_name("object"), ctx)
    return False


def _parameter_names(function: Node) -> list[Node]:
    params = function.child_by_field_name("parameters") or function.child_by_field_name("parameter")
    if params is None:
        return []
    if params.type == "identifier":
        return [params]
    names = []
    for param in params.named_children:
        pattern = param.child_by_field_name("pattern") if param.type != "identifier" else param
        if pattern is not None and pattern.type == "identifier":
            names.append(pattern)
    return names


def collect_bindings(ctx: FileContext, sites: Sites) -> None:
    """Fill ``ctx.client_names``, ``ctx.scoped_clients`` and ``ctx.delegates``.

    ``tx`` parameters of transaction callbacks and client-typed parameters are name-based and file-wide (in
    code, ``tx`` always means a client); aliases and destructured delegates are bound to their declaring
    scope. Declarators are looked at only where a client name occurs in them, repeated while new alias
    names appear (aliases of aliases)."""
    simple, dotted = configured_names(ctx.config.clients)
    ctx.client_names.update(simple)
    _collect_type_aliases(ctx)
    for node in [*sites.calls, *sites.transactions]:
        callee = unwrap(node.child_by_field_name("function"))
        if callee is None:
            continue
        prop = callee.child_by_field_name("property") if callee.type == "member_expression" else callee
        if text(prop) not in TRANSACTION_METHODS:
            continue
        args = node.child_by_field_name("arguments")
        # the callback: first argument of $transaction(async (tx) => ...), later in a project helper's
        # $transaction(prisma, "name", async (tx) => ...)
        callback = next((a for a in (args.named_children if args is not None else [])
                         if a.type in ("arrow_function", "function_expression", "function")), None)
        if callback is not None:
            for name in _parameter_names(callback)[:1]:
                ctx.client_names.add(text(name))
    for node in [*sites.parameters, *_parameters_typed_by_alias(ctx)]:
        annotation = node.child_by_field_name("type")
        pattern = node.child_by_field_name("pattern")
        if (annotation is not None and pattern is not None and pattern.type == "identifier"
                and is_client_type(text(annotation), ctx)):
            ctx.client_names.add(text(pattern))
            if any(c.type in ("accessibility_modifier", "readonly") for c in node.children):
                ctx.client_fields.add(text(pattern))  # constructor(private readonly db: PrismaClient)
    _collect_client_fields(ctx)
    searched: set[str] = set()
    pending = (set(ctx.client_names) | {name.split(".")[-1].split("(")[0] for name in dotted}
               | set(_CONSTRUCTION_WORDS) | ctx.client_types | {"TransactionClient", "PrismaService"})
    declarators: dict[int, Node] = {}
    for _ in range(4):
        if not pending:
            break
        for declarator in declarators_mentioning(ctx.root, ctx.source, pending):
            declarators.setdefault(declarator.id, declarator)
        searched |= pending
        for declarator in declarators.values():
            _bind_declarator(declarator, ctx)
        pending = (set(ctx.scoped_clients) | ctx.client_names) - searched
        if not pending and "functions" not in searched:
            # functions of this file that return a client (getClient()): their calls and
            # ReturnType<typeof getClient> are clients too
            searched.add("functions")
            ctx.client_functions = _client_functions(ctx)
            ctx.client_types |= ctx.client_functions
            pending = set(ctx.client_functions) - searched


_SCOPES = frozenset({"function_declaration", "function_expression", "arrow_function", "method_definition",
                     "function", "program"})


def _scope_range(node: Node) -> tuple[int, int]:
    scope = next((a for a in ancestors(node) if a.type in _SCOPES), None)
    return (scope.start_byte, scope.end_byte) if scope is not None else (0, 1 << 62)


def _bind(table: dict[str, list[tuple[int, int]]], name: str, scope: tuple[int, int]) -> None:
    ranges = table.setdefault(name, [])
    if scope not in ranges:
        ranges.append(scope)


def _bind_declarator(declarator: Node, ctx: FileContext) -> None:
    name = declarator.child_by_field_name("name")
    raw_value = declarator.child_by_field_name("value")
    value = unwrap(raw_value)
    annotation = declarator.child_by_field_name("type")
    if name is None:
        return
    scope = _scope_range(declarator)
    if name.type == "identifier" and annotation is not None and is_client_type(text(annotation), ctx):
        _bind(ctx.scoped_clients, text(name), scope)  # const db: PrismaClient = ...
        return
    if value is None:
        return
    if name.type == "identifier":
        # const client = prisma / tx ?? prisma / inTransaction ? tx : prisma / (x || y) as PrismaClient
        sides = {"binary_expression": ("left", "right"), "ternary_expression": ("consequence", "alternative")}
        if is_client(raw_value, ctx) or any(
            is_client(value.child_by_field_name(side), ctx) for side in sides.get(value.type, ())
        ):
            _bind(ctx.scoped_clients, text(name), scope)
        return
    if name.type != "object_pattern":
        return
    value_is_client = is_client(value, ctx)
    simple, dotted = configured_names(ctx.config.clients)
    for part in name.named_children:
        if part.type == "shorthand_property_identifier_pattern":
            key = bound = text(part)
        elif part.type == "pair_pattern":
            key = text(part.child_by_field_name("key"))
            target = part.child_by_field_name("value")
            if target is None or target.type != "identifier":
                continue
            bound = text(target)
        else:
            continue
        if value_is_client and f"{_chain(value)}.{key}" in dotted:
            _bind(ctx.scoped_clients, bound, scope)  # const { client } = prisma  ==  prisma.client
        elif value_is_client:
            model = ctx.catalog.model_for_accessor(key)
            if model is not None:
                entries = ctx.delegates.setdefault(bound, [])
                if all(entry[:2] != scope for entry in entries):
                    entries.append((*scope, model))
        elif key in simple:
            _bind(ctx.scoped_clients, bound, scope)


_ALIAS_TYPEOF = re.compile(rb"\btype\s+([A-Za-z_$][\w$]*)\s*=\s*(?:ReturnType<\s*)?typeof\s+([A-Za-z_$][\w$]*)")


def _client_functions(ctx: FileContext) -> set[str]:
    """Top-level functions whose returned value is a client (``function getClient() { return new
    PrismaClient() }``, also through a local ``const extended = base.$extends(...)``)."""
    found: set[str] = set()
    for statement in ctx.root.named_children:
        node = statement.child_by_field_name("declaration") if statement.type == "export_statement" else statement
        if node is None:
            continue
        candidates: list[tuple[Node, Node]] = []
        if node.type == "function_declaration":
            name = node.child_by_field_name("name")
            if name is not None:
                candidates.append((name, node))
        elif node.type == "lexical_declaration":
            for declarator in node.named_children:
                name, value = declarator.child_by_field_name("name"), declarator.child_by_field_name("value")
                if name is not None and value is not None and value.type in ("arrow_function", "function_expression"):
                    candidates.append((name, value))
        for name, function in candidates:
            # only a function that constructs or extends a client can return one: test its bytes first
            if _FIELD_WORDS.search(ctx.source, function.start_byte, function.end_byte) is None:
                continue
            if any(is_client(value, ctx) for value in Resolver._returned(function)):
                found.add(text(name))
    return found


def _collect_type_aliases(ctx: FileContext) -> None:
    """``type DB = PrismaClient | Prisma.TransactionClient``, ``interface Db extends PrismaClient``,
    ``type Client = typeof prisma``: local names of a client type."""
    for start, end in client_type_spans(ctx.source):
        node = ctx.root.named_descendant_for_byte_range(start, end)
        for depth, ancestor in enumerate(ancestors(node) if node is not None else ()):
            if depth > 6 or ancestor.type in ("statement_block", "program", "class_body"):
                break
            if ancestor.type in ("type_alias_declaration", "interface_declaration"):
                name = ancestor.child_by_field_name("name")
                if name is not None:
                    ctx.client_types.add(text(name))
                break
    if b"typeof" not in ctx.source:
        return
    simple, _dotted = configured_names(ctx.config.clients)
    for match in _ALIAS_TYPEOF.finditer(ctx.source):
        if match.group(2).decode() in simple:
            ctx.client_types.add(match.group(1).decode())


def _parameters_typed_by_alias(ctx: FileContext) -> list[Node]:
    if not ctx.client_types:
        return []
    found: list[Node] = []
    words = b"|".join(re.escape(alias.encode()) for alias in sorted(ctx.client_types))
    for match in re.finditer(rb"(?<![\w$])(?:" + words + rb")(?![\w$])", ctx.source):
        node = ctx.root.named_descendant_for_byte_range(match.start(), match.end())
        parameter = next((a for a in ancestors(node) if a.type in ("required_parameter", "optional_parameter")),
                         None) if node is not None else None
        if parameter is not None:
            found.append(parameter)
    return found


_FIELD_WORDS = re.compile(rb"PrismaClient|TransactionClient|PrismaService|\$extends|\$replica")


def _collect_client_fields(ctx: FileContext) -> None:
    """Class fields holding a client: typed (``private _db: PrismaClient``), constructed
    (``#client = new PrismaClient()``) or assigned (``this.db = prisma.$extends(...)``)."""
    words = _FIELD_WORDS
    if ctx.client_types:
        words = re.compile(_FIELD_WORDS.pattern + b"|" + b"|".join(re.escape(a.encode())
                                                                    for a in sorted(ctx.client_types)))
    for match in words.finditer(ctx.source):
        node = ctx.root.named_descendant_for_byte_range(match.start(), match.end())
        for depth, ancestor in enumerate(ancestors(node) if node is not None else ()):
            if depth > 8 or ancestor.type in ("statement_block", "program", "class_body"):
                break
            if ancestor.type == "method_definition":
                # get #client(): PrismaClient { ... }: a getter typed as a client reads like a field
                name = ancestor.child_by_field_name("name")
                returned = ancestor.child_by_field_name("return_type")
                if name is not None and returned is not None and any(c.type == "get" for c in ancestor.children) \
                        and is_client_type(text(returned), ctx):
                    ctx.client_fields.add(text(name))
                break
            if ancestor.type in ("public_field_definition", "property_signature"):
                name = ancestor.child_by_field_name("name")
                annotation = ancestor.child_by_field_name("type")
                value = ancestor.child_by_field_name("value")
                if name is not None and ((annotation is not None and is_client_type(text(annotation), ctx))
                                         or (value is not None and is_client(value, ctx))):
                    ctx.client_fields.add(text(name))
                break
            if ancestor.type == "assignment_expression":
                left = ancestor.child_by_field_name("left")
                obj = left.child_by_field_name("object") if left is not None and left.type == "member_expression" \
                    else None
                prop = left.child_by_field_name("property") if left is not None else None
                if obj is not None and obj.type == "this" and prop is not None and is_client(
                        ancestor.child_by_field_name("right"), ctx):
                    ctx.client_fields.add(text(prop))
                break


_CONSTRUCTED_CLIENT = re.compile(r"new\s+PrismaClient\b|\.\$extends\s*\(|\.\$replica\s*\(|\bas\s+PrismaClient\b|"
                                 r"\bsatisfies\s+PrismaClient\b")
_MAX_CLIENT_TEXT = 2000


def imported_clients(index: ProjectIndex, module: Module, receivers: set[str]) -> set[str]:
    """Which of ``receivers`` (``name`` or ``name.member``, used as ``receiver.model.method(`` or
    ``receiver.$method(``) are imports of a client: ``export const db = new PrismaClient()`` (or
    ``$extends``/``$replica``, a cast, a call of a function returning one) where declared, also through
    re-exports, ``export const db = prisma`` of an imported client, and a property of an imported object
    (``export default { client }``). Names not used as a receiver are never looked up, so their modules are
    never parsed."""
    found: set[str] = set()
    if not receivers:
        return found
    imports = module.ensure_indexed().imports
    for receiver in sorted(receivers):
        local, _dot, member = receiver.partition(".")
        if local not in imports:
            continue
        target = index.imported(module, local)
        if member and target is not None:
            target = _property_of(target, member)
        for _ in range(MAX_HOPS):
            if target is None:
                break
            there, node = target
            if node.type in ("identifier", "shorthand_property_identifier"):
                name = text(node)
                declared = there.ensure_indexed().declarations.get(name)
                target = (there, declared) if declared is not None else index.imported(there, name)
                continue
            if node.end_byte - node.start_byte <= _MAX_CLIENT_TEXT and (
                    _CONSTRUCTED_CLIENT.search(text(node)) or _returns_client(there, node)):
                found.add(receiver)
            elif _annotated_client(index, there, node):
                found.add(receiver)  # export const $replica: ReplicaClient = singleton(...)
            break
    return found


def project_clients(ctx: FileContext, index: ProjectIndex, module: Module, sites: Sites) -> None:
    """What the project index says about this file's receivers of queries: imported client type aliases,
    client fields inherited from a base class, and imported clients."""
    receivers = receiver_names(sites.calls, frozenset(ctx.config.clients))
    ctx.client_types |= imported_client_types(index, module, receivers)
    ctx.client_fields |= inherited_client_fields(index, module, receivers)
    ctx.client_names |= imported_clients(index, module, receivers)


def _annotated_client(index: ProjectIndex, module: Module, value: Node) -> bool:
    """Is the ``const`` whose value is ``value`` declared with a client type (``: PrismaClient``, or an
    alias of it, local or imported)?"""
    declarator = value.parent
    annotation = declarator.child_by_field_name("type") if declarator is not None and \
        declarator.type == "variable_declarator" else None
    return annotation is not None and client_type_text(index, module, text(annotation))


_TYPE_NAME = re.compile(r"(?<![\w$.])([A-Za-z_$][\w$]*)")


def client_type_text(index: ProjectIndex, module: Module, type_text: str, hops: int = 0) -> bool:
    """Does a type written in ``module`` name a client type: ``PrismaClient``, ``Prisma.TransactionClient``,
    or a type alias or interface of them, declared in ``module`` or imported (through re-exports and
    workspace packages, at most :data:`~bhq_migrate.scan.project.MAX_HOPS` aliases deep)?"""
    if CLIENT_TYPE.search(type_text):
        return True
    if hops >= MAX_HOPS or len(type_text) > _MAX_CLIENT_TEXT:
        return False
    module.ensure_indexed()
    for name in dict.fromkeys(_TYPE_NAME.findall(type_text)):
        if name in module.types:
            there, declaration = module, module.types[name]
        elif name in module.imports:
            found = index.imported(module, name, types=True)
            if found is None:
                continue
            there, declaration = found
        else:
            continue
        value = declaration.child_by_field_name("value") or declaration
        if client_type_text(index, there, text(value), hops + 1):
            return True
    return False


def imported_client_types(index: ProjectIndex, module: Module, receivers: set[str]) -> set[str]:
    """Imported names of a client type (``import type { DbClient } from "~/db"`` where ``DbClient`` is
    ``PrismaClient | Prisma.TransactionClient``) that annotate a receiver of ``receiver.model.method(``
    (a parameter, field or variable: ``db: DbClient``). Other imports are never resolved."""
    found: set[str] = set()
    imports = module.ensure_indexed().imports
    names = {receiver.rpartition(".")[2] for receiver in receivers}
    if not names or not imports:
        return found
    # db: DbClient, db?: DbClient, get #db(): DbClient
    pattern = re.compile(rb"(?<![\w$])(?:" + b"|".join(re.escape(n.encode()) for n in sorted(names))
                         + rb")\??\s*(?:\(\s*\))?\s*:\s*([A-Za-z_$][\w$]*)")
    for match in pattern.finditer(module.source):
        local = match.group(1).decode()
        if local in found or local not in imports or imports[local][1] == "*" or CLIENT_TYPE.fullmatch(local):
            continue
        if client_type_text(index, module, local):
            found.add(local)
    return found


_CLASSES = frozenset({"class_declaration", "abstract_class_declaration"})


def inherited_client_fields(index: ProjectIndex, module: Module, receivers: set[str]) -> set[str]:
    """Fields a class of this file inherits that hold a client: ``this._replica`` in ``class A extends
    BasePresenter`` where the base class (in this file or imported, through at most
    :data:`~bhq_migrate.scan.project.MAX_HOPS` bases) declares ``constructor(protected readonly _replica:
    DbClient = $replica)``, a typed field or a getter typed as a client. Only fields used as a receiver of a
    query (``receivers``) are looked for."""
    wanted = {receiver.split(".", 1)[1] for receiver in receivers if receiver.startswith("this.")}
    found: set[str] = set()
    if not wanted:
        return found
    for statement in module.root.named_children:
        node = statement.child_by_field_name("declaration") if statement.type == "export_statement" else statement
        if node is None or node.type not in _CLASSES:
            continue
        there, current = module, node
        for _ in range(MAX_HOPS):
            base = _base_class(current)
            target: tuple[Module, Node] | None = None
            if base is not None:
                declared = there.ensure_indexed().declarations.get(base)
                target = (there, declared) if declared is not None else index.imported(there, base)
            if target is None or target[1].type not in _CLASSES:
                break
            there, current = target
            found |= {name for name, type_text in _typed_members(current)
                      if name in wanted and client_type_text(index, there, type_text)}
    return found


def _base_class(node: Node) -> str | None:
    heritage = next((c for c in node.children if c.type == "class_heritage"), None)
    extends = next((c for c in heritage.children if c.type == "extends_clause"), None) if heritage else None
    value = extends.child_by_field_name("value") if extends is not None else None
    return text(value) if value is not None and value.type == "identifier" else None


def _typed_members(node: Node) -> list[tuple[str, str]]:
    """(name, type) of a class's typed fields, getters and constructor parameter properties."""
    body = node.child_by_field_name("body")
    members: list[tuple[str, str]] = []
    for member in body.named_children if body is not None else []:
        name = member.child_by_field_name("name")
        if member.type == "public_field_definition":
            annotation = member.child_by_field_name("type")
            if name is not None and annotation is not None:
                members.append((text(name), text(annotation)))
        elif member.type == "method_definition" and name is not None and text(name) == "constructor":
            params = member.child_by_field_name("parameters")
            for param in params.named_children if params is not None else []:
                pattern, annotation = param.child_by_field_name("pattern"), param.child_by_field_name("type")
                if pattern is not None and annotation is not None and any(
                        c.type in ("accessibility_modifier", "readonly") for c in param.children):
                    members.append((text(pattern), text(annotation)))
        elif member.type == "method_definition" and name is not None and any(c.type == "get" for c in member.children):
            returned = member.child_by_field_name("return_type")
            if returned is not None:
                members.append((text(name), text(returned)))
    return members


def _property_of(target: tuple[Module, Node], name: str) -> tuple[Module, Node] | None:
    there, node = target
    node = unwrap(node) or node
    if node.type != "object":
        return None
    for part in node.named_children:
        if part.type == "shorthand_property_identifier" and text(part) == name:
            return there, part
        if part.type == "pair" and text(part.child_by_field_name("key")) == name:
            value = part.child_by_field_name("value")
            return (there, value) if value is not None else None
    return None


def _returns_client(module: Module, node: Node) -> bool:
    """``(cache || getClient()) as ReturnType<typeof getClient>`` where ``getClient`` in ``module`` returns a
    constructed client."""
    for name in re.findall(r"\b([A-Za-z_$][\w$]*)\s*\(", text(node)):
        function = module.ensure_indexed().declarations.get(name)
        if function is not None and function.end_byte - function.start_byte <= 4 * _MAX_CLIENT_TEXT and \
                _CONSTRUCTED_CLIENT.search(text(function)):
            return True
    return False


def receiver_names(calls: list[Node], known: frozenset[str]) -> set[str]:
    """Receivers (``x`` or ``x.member``) of ``receiver.model.method(...)`` or ``receiver.$method(...)``,
    minus ``known``."""
    names: set[str] = set()
    for call in calls:
        callee = unwrap(call.child_by_field_name("function"))
        if callee is None or callee.type != "member_expression":
            continue
        target = unwrap(callee.child_by_field_name("object"))
        if target is not None and target.type == "member_expression" and \
                not text(callee.child_by_field_name("property")).startswith("$"):
            target = unwrap(target.child_by_field_name("object"))
        if target is None:
            continue
        if target.type == "identifier" and text(target) not in known:
            names.add(text(target))
        elif target.type == "member_expression":
            obj = unwrap(target.child_by_field_name("object"))
            prop = target.child_by_field_name("property")
            if obj is not None and obj.type in ("identifier", "this") and prop is not None:
                chain = f"{text(obj)}.{text(prop)}"
                if chain not in known:
                    names.add(chain)
    return names


def delegate_model(node: Node | None, ctx: FileContext) -> tuple[Model | Literal["dynamic"], Node] | None:
    """``prisma.invoice`` -> (Model, accessor node); ``client[expr]`` -> ("dynamic", node); else None."""
    node = unwrap(node)
    if node is None:
        return None
    if node.type == "identifier" and text(node) in ctx.delegates:
        delegate = ctx.delegate_at(text(node), node.start_byte)
        return (delegate, node) if delegate is not None else None
    if node.type == "member_expression":
        obj = node.child_by_field_name("object")
        prop = node.child_by_field_name("property")
        if prop is not None and is_client(obj, ctx):
            model = ctx.catalog.model_for_accessor(text(prop))
            return (model, prop) if model is not None else None
    if node.type == "subscript_expression":
        obj = node.child_by_field_name("object")
        index = unwrap(node.child_by_field_name("index"))
        if index is not None and is_client(obj, ctx):
            if index.type == "string":
                model = ctx.catalog.model_for_accessor(text(index).strip("'\""))
                return (model, index) if model is not None else None
            return DYNAMIC, index
    return None


def first_argument(call: Node) -> Node | None:
    args = call.child_by_field_name("arguments")
    if args is None or args.type != "arguments":
        return None
    for child in args.named_children:
        if child.type != "comment":
            return unwrap(child)
    return None


def prisma_call(call: Node, ctx: FileContext) -> PrismaCall | Literal["dynamic"] | None:
    """The Prisma call at ``call``; ``"dynamic"`` for ``client[model].method()``; ``None`` otherwise."""
    callee = unwrap(call.child_by_field_name("function"))
    if callee is None or callee.type != "member_expression":
        return None
    method_node = callee.child_by_field_name("property")
    method = text(method_node)
    target = callee.child_by_field_name("object")
    if method in ALL_METHODS:
        resolved = delegate_model(target, ctx)
        if resolved is not None:
            model, anchor = resolved
            if isinstance(model, str):
                return DYNAMIC
            return PrismaCall(call, model, method, anchor, first_argument(call))
    # A fluent relation read: prisma.invoice.findUnique({...}).items({...})
    inner = unwrap(target)
    if inner is not None and inner.type == "call_expression" and method_node is not None:
        parent = prisma_call(inner, ctx)
        if isinstance(parent, PrismaCall) and parent.method in SINGLE_READS and parent.fluent_from is None:
            related = ctx.catalog.relation_target(parent.model, method)
            if related is not None:
                return PrismaCall(call, related, method, method_node, first_argument(call),
                                  fluent_from=parent.model)
    return None
