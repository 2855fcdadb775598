"""Does a ``where`` (or an args object) constrain a given key? Decided statically, within one file and,
through the project index (:mod:`bhq_migrate.scan.project`), across the modules it imports.

The answer is a :class:`Verdict`. ``SCOPED`` when the key is at the top level of ``where`` in any form
(``null``, ``{ equals: null }``, a conditional, a deliberate ``{ not: null }``), inside an ``AND``, in every
branch of an ``OR``, through a spread of or a call to a scoping helper (``activeOnly``), or through a local
variable, a same-file function's returned object, or ``where.deletedAt = ...`` in the same function.
``UNKNOWN`` when part of the where comes from somewhere we cannot see (a parameter, an import, a member
expression): that becomes a "needs review" finding, never a silent pass. An imported helper or constant is
followed into its module (``getLinkWhere(...)`` from ``@/lib/where``), with the call's arguments bound to the
helper's parameters, at most :data:`~bhq_migrate.scan.project.MAX_HOPS` modules deep. A key inside a nested relation
filter (``{ contact: { deletedAt: null } }``) does not scope the top-level model.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from tree_sitter import Node

from bhq_migrate.scan.model import ReviewCause
from bhq_migrate.scan.parser import ancestors, text, unwrap
from bhq_migrate.scan.project import MAX_HOPS, Module, ProjectIndex

KeyTest = Callable[[str, "Node | None"], bool]
"""Does the pair ``key: value`` constrain what we look for? (``value`` is ``None`` for a shorthand.)"""

_FUNCTION_TYPES = frozenset(
    {"function_declaration", "function_expression", "arrow_function", "method_definition", "function",
     "generator_function_declaration"}
)
_SCOPE_TYPES = _FUNCTION_TYPES | {"program"}
_MAX_DEPTH = 8


@dataclass(frozen=True)
class Blame:
    """A call that passes an unscoped where (or args) to a function, in ``path`` (``None``: unknown)."""

    call: Node
    path: Path | None


class Verdict(Enum):
    SCOPED = "scoped"
    UNSCOPED = "unscoped"
    UNKNOWN = "unknown"


class Lookup(Enum):
    ABSENT = "absent"
    UNKNOWN = "unknown"


def _combine_any(verdicts: list[Verdict]) -> Verdict:
    """Several parts of one object: one scoped part is enough."""
    if Verdict.SCOPED in verdicts:
        return Verdict.SCOPED
    if Verdict.UNKNOWN in verdicts:
        return Verdict.UNKNOWN
    return Verdict.UNSCOPED


def _combine_branches(verdicts: list[Verdict]) -> Verdict:
    """Branches of a conditional: a branch naming the key is a deliberate choice, so it counts as scoped."""
    return _combine_any(verdicts)


def _combine_all(verdicts: list[Verdict]) -> Verdict:
    """``OR`` alternatives: every one must be scoped."""
    if verdicts and all(v is Verdict.SCOPED for v in verdicts):
        return Verdict.SCOPED
    if Verdict.UNSCOPED in verdicts or not verdicts:
        return Verdict.UNSCOPED
    return Verdict.UNKNOWN


class _CauseLog:
    """The first :class:`ReviewCause` noted since :func:`clear_cause`. One per scan process, not per resolver:
    a verdict is worked out across the resolvers of several modules (imports, callers' frames)."""

    first: ReviewCause | None = None


_CAUSES = _CauseLog()


def clear_cause() -> None:
    """Forget the noted cause: called before a verdict whose cause is wanted."""
    _CAUSES.first = None


def noted_cause() -> ReviewCause | None:
    """What the last "unknown" verdict depended on, when the scan could name it."""
    return _CAUSES.first


def _note(cause: ReviewCause, replace: bool = False) -> None:
    if _CAUSES.first is None or replace:
        _CAUSES.first = cause


def _note_helper(name: str, origin: str) -> None:
    _note(ReviewCause(kind="helper", name=name, origin=origin, key=f"helper:{name}", identity=f"helper:{name}"))


def property_key(node: Node) -> str | None:
    """The static key of a pair (``deletedAt``, ``"deletedAt"``, ``["deletedAt"]``); ``None`` when computed
    at run time (``[fieldKeyType]``)."""
    key = node.child_by_field_name("key")
    if key is None:
        return None
    if key.type == "computed_property_name":
        inner = next((c for c in key.named_children if c.type != "comment"), None)
        return text(inner)[1:-1] if inner is not None and inner.type == "string" else None
    if key.type in ("property_identifier", "identifier", "number"):
        return text(key)
    if key.type == "string":
        return text(key)[1:-1]
    return None


class Resolver:
    """Follows identifiers, helper calls and spreads within one file."""

    def __init__(self, root: Node, scoping_helpers: tuple[str, ...], index: ProjectIndex | None = None,
                 module: Module | None = None, hops: int = 0, unscoped_helpers: tuple[str, ...] = ()) -> None:
        self.root = root
        self.helpers = frozenset(scoping_helpers)
        self.unscoped_helpers = frozenset(unscoped_helpers)
        """Helpers declared not to add the soft-delete filter (``--unscoped-helper``): their result never scopes."""
        self.index = index
        self.module = module
        self.hops = hops
        """How many modules away from the analysed file this resolver's module is."""
        self.frames: dict[int, tuple[Resolver, list[Node]]] = {}
        """Function node id -> (caller's resolver, call arguments) while a call's results are evaluated."""
        self.base_frames: dict[int, tuple[Resolver, list[Node]]] = {}
        """Bindings that :meth:`reset` keeps: a wrapper's parameters bound to one caller's arguments."""
        self._function_index: dict[str, list[Node]] | None = None
        self._call_index: dict[str, list[Node]] | None = None
        self._declarator_cache: dict[tuple[int, int, str], list[Node]] = {}
        self._blame: Blame | None = None

    @property
    def blame(self) -> Blame | None:
        """The call site that passed an unscoped argument, when a verdict came from a caller; shared by the
        resolvers of every module (through the index) while one query is checked."""
        return self.index.blame if self.index is not None else self._blame

    @blame.setter
    def blame(self, value: Blame | None) -> None:
        if self.index is not None:
            self.index.blame = value
        else:
            self._blame = value

    # ---- definitions -------------------------------------------------------------------------------------
    def _enclosing_scopes(self, node: Node) -> list[Node]:
        scopes = [a for a in ancestors(node) if a.type in _SCOPE_TYPES]
        if not scopes or scopes[-1].type != "program":
            scopes.append(self.root)  # deeper than MAX_ANCESTORS: still look at the module scope
        return scopes

    def _declarators(self, scope: Node) -> list[Node]:
        """Variable declarators directly in ``scope`` (not inside nested functions), cached per scope."""
        key = (scope.start_byte, scope.end_byte, scope.type)
        cached = self._declarator_cache.get(key)
        if cached is None:
            cached = self._declarator_cache[key] = self._collect_declarators(scope)
        return cached

    @staticmethod
    def _collect_declarators(scope: Node) -> list[Node]:
        # named children only: anonymous nodes (keywords, punctuation) are leaves, and half of all nodes
        found = []
        stack = list(reversed(scope.named_children))
        while stack:
            node = stack.pop()
            if node.type == "variable_declarator":
                found.append(node)
            if node.type in _FUNCTION_TYPES or node.type == "class_body":
                continue
            stack.extend(reversed(node.named_children))
        return found

    @staticmethod
    def _is_parameter(scope: Node, name: str) -> bool:
        params = scope.child_by_field_name("parameters") or scope.child_by_field_name("parameter")
        if params is None:
            return False
        if params.type == "identifier":
            return text(params) == name
        stack = [params]
        while stack:
            node = stack.pop()
            if node.type in ("identifier", "shorthand_property_identifier_pattern") and text(node) == name:
                return True
            if node.type == "type_annotation":
                continue
            stack.extend(node.children)
        return False

    def definition(self, identifier: Node) -> Node | None:
        """The value expression bound to ``identifier`` in the nearest scope that declares it; ``None`` when
        it is a parameter, an import or otherwise unseen."""
        name = text(identifier)
        for scope in self._enclosing_scopes(identifier):
            if scope.type != "program" and self._is_parameter(scope, name):
                return None
            candidates = [
                d for d in self._declarators(scope)
                if (n := d.child_by_field_name("name")) is not None and n.type == "identifier" and text(n) == name
            ]
            if candidates:
                before = [d for d in candidates if d.start_byte < identifier.start_byte] or candidates
                return unwrap(before[-1].child_by_field_name("value"))
        return None

    def _functions_named(self, name: str) -> list[Node]:
        if self._function_index is None:
            index: dict[str, list[Node]] = {}
            stack = [self.root]
            while stack:
                node = stack.pop()
                if node.type in ("function_declaration", "method_definition"):
                    fn_name = node.child_by_field_name("name")
                    if fn_name is not None:
                        index.setdefault(text(fn_name), []).append(node)
                elif node.type == "variable_declarator":
                    value = node.child_by_field_name("value")
                    fn_name = node.child_by_field_name("name")
                    if value is not None and fn_name is not None and value.type in _FUNCTION_TYPES:
                        index.setdefault(text(fn_name), []).append(value)
                stack.extend(node.children)
            self._function_index = index
        return self._function_index.get(name, [])

    @staticmethod
    def _returned(function: Node) -> list[Node]:
        body = function.child_by_field_name("body")
        if body is None:
            return []
        if body.type != "statement_block":
            expression = unwrap(body)
            return [expression] if expression is not None else []
        returned = []
        stack = [body]
        while stack:
            node = stack.pop()
            if node.type == "return_statement":
                value = next((c for c in node.named_children if c.type != "comment"), None)
                value = unwrap(value)
                if value is not None:
                    returned.append(value)
                continue
            if node.type in _FUNCTION_TYPES:
                continue
            stack.extend(node.children)
        return returned

    def _callee_name(self, call: Node) -> str:
        callee = unwrap(call.child_by_field_name("function"))
        if callee is None:
            return ""
        if callee.type == "member_expression":
            return text(callee.child_by_field_name("property"))
        return text(callee) if callee.type == "identifier" else ""

    def call_results(self, call: Node) -> list[Node] | None:
        """The objects a same-file function (or a method of the same class, ``this.method(...)``) returns;
        ``None`` when the function is not in this file."""
        callee = unwrap(call.child_by_field_name("function"))
        if callee is None:
            return None
        if callee.type == "member_expression":
            obj = unwrap(callee.child_by_field_name("object"))
            if obj is None or obj.type != "this":
                return None
            name = text(callee.child_by_field_name("property"))
            functions = [f for f in self._functions_named(name) if f.type == "method_definition"
                         and self._same_class(f, call)]
        elif callee.type == "identifier":
            functions = self._functions_named(text(callee))
        else:
            return None
        if len(functions) != 1:
            return None
        results = self._returned(functions[0])
        return results or None

    @staticmethod
    def _same_class(method: Node, call: Node) -> bool:
        body = method.parent
        return body is not None and body.type == "class_body" and body.start_byte <= call.start_byte < body.end_byte

    def _member_assignment(self, identifier: Node, test: KeyTest) -> bool:
        """``where.deletedAt = null`` (or ``where["deletedAt"] = ...``) in the same function."""
        name = text(identifier)
        scopes = self._enclosing_scopes(identifier)
        scope = scopes[0] if scopes else self.root
        stack = [scope]
        while stack:
            node = stack.pop()
            if node.type == "assignment_expression":
                left = node.child_by_field_name("left")
                if left is not None and left.type in ("member_expression", "subscript_expression"):
                    obj = left.child_by_field_name("object")
                    key_node = left.child_by_field_name("property") or left.child_by_field_name("index")
                    key = text(key_node).strip("'\"")
                    if obj is not None and text(obj) == name and test(key, node.child_by_field_name("right")):
                        return True
            stack.extend(node.children)
        return False

    # ---- callers in the same file -------------------------------------------------------------------------
    @staticmethod
    def _parameter_index(function: Node, name: str) -> int | None:
        params = function.child_by_field_name("parameters")
        if params is None:
            parameter = function.child_by_field_name("parameter")
            return 0 if parameter is not None and text(parameter) == name else None
        for index, param in enumerate(c for c in params.named_children if c.type != "comment"):
            pattern = param if param.type == "identifier" else param.child_by_field_name("pattern")
            if pattern is not None and pattern.type == "identifier" and text(pattern) == name:
                return index
        return None

    @staticmethod
    def _function_name(function: Node) -> tuple[str, bool] | None:
        """(name, exported?) of a named function or method; methods count as callable from elsewhere."""
        if function.type == "method_definition":
            name = function.child_by_field_name("name")
            return (text(name), True) if name is not None else None
        if function.type == "function_declaration":
            name = function.child_by_field_name("name")
            holder = function
        elif function.parent is not None and function.parent.type == "variable_declarator":
            name = function.parent.child_by_field_name("name")
            holder = function.parent.parent if function.parent.parent is not None else function.parent
        else:
            return None
        if name is None or name.type != "identifier":
            return None
        exported = holder.parent is not None and holder.parent.type == "export_statement"
        return text(name), exported

    def _calls_to(self, name: str) -> list[Node]:
        if self._call_index is None:
            index: dict[str, list[Node]] = {}
            stack = [self.root]
            while stack:
                node = stack.pop()
                if node.type == "call_expression":
                    callee = unwrap(node.child_by_field_name("function"))
                    if callee is not None and callee.type == "member_expression":
                        obj = callee.child_by_field_name("object")
                        callee = callee.child_by_field_name("property") if obj is not None and obj.type == "this" \
                            else None
                    if callee is not None and callee.type in ("identifier", "property_identifier"):
                        index.setdefault(text(callee), []).append(node)
                stack.extend(node.children)
            self._call_index = index
        return self._call_index.get(name, [])

    def from_callers(self, parameter: Node, evaluate: Callable[[Resolver, Node | None], Verdict],
                     depth: int) -> Verdict:
        """A where (or args) that is a parameter of a named function: judge what each call site passes
        (``evaluate(resolver of the caller's module, argument)``). Call sites are searched in this file and,
        for an exported function, in the modules that import it (:meth:`ProjectIndex.callers`). One unscoped
        call site makes it unscoped (``blame`` points at it); all scoped makes it scoped only when every use
        of the function was found; otherwise it needs review."""
        if depth > _MAX_DEPTH:
            return Verdict.UNKNOWN
        name = text(parameter)
        for scope in self._enclosing_scopes(parameter):
            if scope.type == "program" or not self._is_parameter(scope, name):
                continue
            index = self._parameter_index(scope, name)
            named = self._function_name(scope)
            if index is None or named is None:
                self._note_parameter(scope, name)
                return Verdict.UNKNOWN
            function_name, exported = named
            same_file = [(self, call) for call in self._calls_to(function_name)
                         if not scope.start_byte <= call.start_byte < scope.end_byte]  # recursion: no new arguments
            verdicts: list[Verdict] = []
            if self._judge_calls(same_file, index, evaluate, verdicts) is Verdict.UNSCOPED:
                return Verdict.UNSCOPED
            complete = not exported
            if exported and scope.type != "method_definition" and self.index is not None \
                    and self.module is not None and self.hops < MAX_HOPS:
                # only now, when this file does not settle it: the modules that import the function
                callers = self.index.callers(self.module.path, function_name, scope)
                complete = callers.complete
                elsewhere = [(self._peer(module), call) for module, call in callers.calls]
                if self._judge_calls(elsewhere, index, evaluate, verdicts) is Verdict.UNSCOPED:
                    return Verdict.UNSCOPED
            if verdicts and complete and all(v is Verdict.SCOPED for v in verdicts):
                return Verdict.SCOPED
            # not every caller was found (an exported function used beyond the index's bound): the parameter is
            # the cause whatever the callers found pass; when all were found, their own cause stands
            self._note_parameter(scope, name, replace=not complete)
            return Verdict.UNKNOWN
        self._note_import(parameter)
        return Verdict.UNKNOWN

    def _judge_calls(self, calls: list[tuple[Resolver, Node]], index: int,
                     evaluate: Callable[[Resolver, Node | None], Verdict], verdicts: list[Verdict]) -> Verdict | None:
        """Judge the ``index``-th argument of each call (appending to ``verdicts``); ``UNSCOPED`` at the first
        unscoped one, whose call becomes the ``blame``."""
        for owner, call in calls:
            args = call.child_by_field_name("arguments")
            values = [c for c in args.named_children if c.type != "comment"] if args is not None else []
            argument = values[index] if index < len(values) else None
            if argument is not None and argument.type == "spread_element":
                verdicts.append(Verdict.UNKNOWN)
                continue
            verdict = evaluate(owner, argument)
            verdicts.append(verdict)
            if verdict is Verdict.UNSCOPED:
                if self.blame is None:
                    self.blame = Blame(call, owner.module.path if owner.module is not None else None)
                return verdict
        return None

    # ---- across calls and modules -------------------------------------------------------------------------
    def _peer(self, module: Module) -> Resolver:
        """The resolver of another module (one per module and scan process, kept by the index)."""
        assert self.index is not None
        peers: dict[Any, Resolver] = self.index.peers
        peer = peers.get(module.path)
        if peer is None or peer.module is not module:
            peer = Resolver(module.root, tuple(self.helpers), self.index, module, self.hops + 1,
                            tuple(self.unscoped_helpers))
            peers[module.path] = peer
        return peer

    def imported_value(self, identifier: Node) -> tuple[Resolver, Node] | None:
        """The declaration behind an imported name (``import { where } from "./where"``)."""
        if self.index is None or self.module is None or self.hops >= MAX_HOPS:
            return None
        found = self.index.imported(self.module, text(identifier))
        if found is None:
            return None
        module, node = found
        return self._peer(module), node

    def _callee(self, call: Node) -> tuple[Resolver, Node] | None:
        """The function a call runs: same file (also ``this.method``), imported, or ``ns.fn`` of a namespace
        import."""
        callee = unwrap(call.child_by_field_name("function"))
        if callee is None:
            return None
        if callee.type == "identifier" or (callee.type == "member_expression" and (
                (obj := unwrap(callee.child_by_field_name("object"))) is not None and obj.type == "this")):
            name = text(callee) if callee.type == "identifier" else text(callee.child_by_field_name("property"))
            functions = self._functions_named(name)
            if callee.type == "member_expression":
                functions = [f for f in functions if f.type == "method_definition" and self._same_class(f, call)]
            if len(functions) == 1:
                return self, functions[0]
            if functions or callee.type != "identifier":
                return None
            found = self.imported_value(callee)
            if found is None and self.definition(callee) is None:
                holder = self.destructured_from(callee)  # const { helper } = importedObject
                member = self.member_of(holder, text(callee)) if holder is not None else None
                found = (self._peer(member[0]), member[1]) if member is not None else None
        elif callee.type == "member_expression":
            owner = unwrap(callee.child_by_field_name("object"))
            if owner is None or owner.type != "identifier":
                return None
            member = self.member_of(text(owner), text(callee.child_by_field_name("property")))
            found = (self._peer(member[0]), member[1]) if member is not None else None
        else:
            return None
        if found is None or found[1].type not in _FUNCTION_TYPES:
            return None
        return found

    def destructured_from(self, identifier: Node) -> str | None:
        """``const { name } = holder`` in a scope enclosing ``identifier``: the holder's name."""
        name = text(identifier)
        for scope in self._enclosing_scopes(identifier):
            for declarator in self._declarators(scope):
                pattern = declarator.child_by_field_name("name")
                value = unwrap(declarator.child_by_field_name("value"))
                if pattern is None or pattern.type != "object_pattern" or value is None or value.type != "identifier":
                    continue
                if any(part.type == "shorthand_property_identifier_pattern" and text(part) == name
                       for part in pattern.named_children):
                    return text(value)
        return None

    def member_of(self, holder: str, name: str) -> tuple[Module, Node] | None:
        """``holder.name`` where ``holder`` is imported: a namespace's export, or a property of an exported
        object literal (``export default { client, pagedQuery }``)."""
        if self.index is None or self.module is None or self.hops >= MAX_HOPS:
            return None
        module, index = self.module.ensure_indexed(), self.index
        entry = module.imports.get(holder)
        if entry is None:
            return None
        if entry[1] == "*":
            target = index.resolve(module.path, entry[0])
            return index.export(target, name) if target is not None else None
        found = index.imported(module, holder)
        if found is None:
            return None
        there, node = found
        node = unwrap(node) or node
        if node.type != "object":
            return None
        for part in node.named_children:
            if part.type == "shorthand_property_identifier" and text(part) == name:
                declaration = there.ensure_indexed().declarations.get(name)
                return (there, declaration) if declaration is not None else None
            if part.type == "pair" and text(part.child_by_field_name("key")) == name:
                value = unwrap(part.child_by_field_name("value"))
                if value is not None and value.type == "identifier":
                    declaration = there.declarations.get(text(value))
                    return (there, declaration) if declaration is not None else None
                return (there, value) if value is not None else None
        return None

    def function_of(self, call: Node) -> tuple[Resolver, Node] | None:
        """The function a call runs, with the resolver of its module (same file, ``this.method``, imported)."""
        return self._callee(call)

    def _with_frame(self, call: Node, target: tuple[Resolver, Node],
                    evaluate: Callable[[Resolver, list[Node]], Verdict]) -> Verdict:
        """Evaluate the function's returned values with the call's arguments bound to its parameters."""
        resolver, function = target
        args = _arguments(call)
        results = resolver._returned(function)
        if not results:
            return Verdict.UNKNOWN
        previous = resolver.frames.get(function.id)
        resolver.frames[function.id] = (self, args)
        try:
            return evaluate(resolver, results)
        finally:
            if previous is None:
                resolver.frames.pop(function.id, None)
            else:
                resolver.frames[function.id] = previous

    def _destructured(self, identifier: Node, depth: int) -> Located | Lookup | None:
        """``const { envelopeWhereInput } = await getEnvelopeWhereInput(...)``: the value of that property of
        the right-hand side; ``None`` when ``identifier`` is not bound by destructuring."""
        name = text(identifier)
        for scope in self._enclosing_scopes(identifier):
            if scope.type != "program" and self._is_parameter(scope, name):
                return self._then_parameter(scope, name, depth)
            for declarator in self._declarators(scope):
                pattern = declarator.child_by_field_name("name")
                if pattern is None or pattern.type != "object_pattern":
                    continue
                for part in pattern.named_children:
                    if part.type == "shorthand_property_identifier_pattern" and text(part) == name:
                        key = name
                    elif part.type == "pair_pattern" and text(part.child_by_field_name("value")) == name:
                        key = property_key(part) or ""
                    else:
                        continue
                    if not key or declarator.start_byte > identifier.start_byte:
                        return None
                    return self.locate(declarator.child_by_field_name("value"), key, depth + 1)
        return None

    def _then_parameter(self, function: Node, name: str, depth: int) -> Located | Lookup | None:
        """``getWhereInput(...).then(({ whereInput }) => ...)``: a property destructured from the first
        parameter of a ``.then`` callback is that property of what the promise resolves to."""
        if function.type not in ("arrow_function", "function_expression"):
            return None
        holder = function.parent
        call = holder.parent if holder is not None and holder.type == "arguments" else None
        if call is None:
            return None
        callee = unwrap(call.child_by_field_name("function"))
        args = _arguments(call)
        if (callee is None or callee.type != "member_expression" or not args or args[0].id != function.id
                or text(callee.child_by_field_name("property")) != "then"):
            return None
        params = function.child_by_field_name("parameters")
        first = next((p for p in params.named_children if p.type != "comment"), None) if params is not None \
            else None
        pattern = first.child_by_field_name("pattern") if first is not None and first.type != "identifier" else None
        if pattern is None or pattern.type != "object_pattern":
            return None
        key = _bound_key(pattern, name)
        if not key:
            return None
        return self.locate(callee.child_by_field_name("object"), key, depth + 1)

    def _frame_argument(self, identifier: Node) -> tuple[Resolver, Node | None] | None:
        """While a call is evaluated: the argument passed for the parameter ``identifier`` names."""
        if not self.frames:
            return None
        name = text(identifier)
        for scope in self._enclosing_scopes(identifier):
            if scope.type == "program" or not self._is_parameter(scope, name):
                continue
            frame = self.frames.get(scope.id)
            index = self._parameter_index(scope, name)
            if frame is None or index is None:
                return None
            caller, args = frame
            return caller, unwrap(args[index]) if index < len(args) else None
        return None

    # ---- causes of "unknown" ------------------------------------------------------------------------------
    def _import_origin(self, name: str) -> str | None:
        """``imported from 'spec'`` when ``name`` is imported in this resolver's module."""
        if self.module is None:
            return None
        entry = self.module.ensure_indexed().imports.get(name)
        return f"imported from '{entry[0]}'" if entry is not None else None

    @staticmethod
    def clear_cause() -> None:
        clear_cause()

    @staticmethod
    def noted_cause() -> ReviewCause | None:
        """What the last "unknown" verdict depended on (see :func:`noted_cause`)."""
        return noted_cause()

    def _note_call(self, call: Node) -> None:
        """A call the scan could not follow: an imported helper, a namespace's function, or an inherited
        ``this.method``; a call of anything else (a local object's method) names no settleable cause."""
        callee = unwrap(call.child_by_field_name("function"))
        if callee is None:
            return
        if callee.type == "identifier":
            name, origin = text(callee), self._import_origin(text(callee))
        elif callee.type == "member_expression":
            obj = unwrap(callee.child_by_field_name("object"))
            name = text(callee.child_by_field_name("property"))
            if obj is None:
                return
            origin = ("a method not found in this class" if obj.type == "this"
                      else self._import_origin(text(obj)) if obj.type == "identifier" else None)
        else:
            return
        if origin is not None and name:
            _note_helper(name, origin)

    def _note_import(self, identifier: Node) -> None:
        """An imported value the scan could not follow (``where: DEFAULT_WHERE`` from a package); not a
        namespace (``filters`` of ``filters.X``), which no flag can settle."""
        name = text(identifier)
        entry = self.module.ensure_indexed().imports.get(name) if self.module is not None else None
        if entry is not None and entry[1] != "*":
            _note_helper(name, f"imported from '{entry[0]}'")

    def _note_parameter(self, function: Node, name: str, replace: bool = False) -> None:
        line = function.start_point[0] + 1
        named = self._function_name(function)
        if named is None:
            owner = f"of the function at line {line}"
        else:
            kind = ("method" if function.type == "method_definition" else "exported function" if named[1]
                    else "function")
            owner = f"of {kind} {named[0]}() (line {line})"
        where = self.module.path if self.module is not None else ""
        _note(ReviewCause(kind="parameter", name=name, origin=owner,
                          key=f"parameter:{where}:{function.start_byte}:{name}",
                          identity=f"parameter:{named[0] if named is not None else ''}:{name}"), replace)

    def _note_unbound(self, identifier: Node) -> None:
        """An identifier with no value in sight: an import the scan could not follow, or a parameter."""
        name = text(identifier)
        for scope in self._enclosing_scopes(identifier):
            if scope.type != "program" and self._is_parameter(scope, name):
                self._note_parameter(scope, name)
                return
        self._note_import(identifier)

    def declared_args(self, args: Node | None) -> Verdict | None:
        """Args built by a declared helper the scan could not follow (``findMany(buildArgs(x))`` with
        ``--scoping-helper buildArgs`` or ``--unscoped-helper buildArgs``): its verdict for the soft-delete key."""
        args = unwrap(args)
        if args is not None and args.type == "identifier":
            args = self.definition(args)
        if args is None or args.type != "call_expression" or self._callee(args) is not None:
            return None
        return self._declared_verdict(self._callee_name(args))

    def _declared_verdict(self, name: str) -> Verdict | None:
        """A name the user declared: ``--scoping-helper`` scopes, ``--unscoped-helper`` does not."""
        if name in self.helpers:
            return Verdict.SCOPED
        if name in self.unscoped_helpers:
            return Verdict.UNSCOPED
        return None

    # ---- verdicts --------------------------------------------------------------------------------------
    def where_verdict(self, node: Node | None, test: KeyTest, depth: int = 0,
                      helper_scopes: bool = True) -> Verdict:
        """Does the where expression ``node`` constrain a key accepted by ``test`` at its top level?

        ``helper_scopes``: a call to a scoping helper counts (true for the soft-delete key); when false the
        helper's own argument is examined instead (``activeOnly({ tenantId })`` for the tenant key).
        """
        node = unwrap(node)
        if node is None or depth > _MAX_DEPTH:
            return Verdict.UNKNOWN if node is not None else Verdict.UNSCOPED
        kind = node.type
        if kind == "object":
            parts: list[Verdict] = []
            for child in node.named_children:
                if child.type == "pair":
                    key = property_key(child)
                    if key is None:
                        # a key computed at run time ({ [fieldKeyType]: ... }) is a column filter in practice,
                        # never the soft-delete or tenant key: it neither scopes nor blocks a verdict
                        continue
                    if test(key, child.child_by_field_name("value")):
                        return Verdict.SCOPED
                    elif key == "AND":
                        parts.append(self._and_verdict(child.child_by_field_name("value"), test, depth,
                                                       helper_scopes))
                    elif key == "OR":
                        parts.append(self._or_verdict(child.child_by_field_name("value"), test, depth,
                                                      helper_scopes))
                elif child.type == "shorthand_property_identifier":
                    if test(text(child), None):
                        return Verdict.SCOPED
                elif child.type == "spread_element":
                    inner = child.named_children[0] if child.named_children else None
                    parts.append(self.where_verdict(inner, test, depth + 1, helper_scopes))
            return _combine_any(parts)
        if kind == "call_expression":
            name = self._callee_name(node)
            if name in self.helpers:
                if helper_scopes:
                    return Verdict.SCOPED
                args = node.child_by_field_name("arguments")
                first = args.named_children[0] if args is not None and args.named_children else None
                return self.where_verdict(first, test, depth + 1, helper_scopes)
            if helper_scopes and name in self.unscoped_helpers:
                return Verdict.UNSCOPED
            target = self._callee(node)
            if target is None:
                callbacks = _chain_callbacks(node)
                if not callbacks:
                    self._note_call(node)
                    return Verdict.UNKNOWN
                # match(x).with(p, v => ({ id: v.id })).otherwise(...): the value is what a callback returns
                return _combine_all([self.where_verdict(r, test, depth + 1, helper_scopes)
                                     for callback in callbacks for r in self._returned(callback) or [callback]])
            return self._with_frame(node, target, lambda resolver, results: _combine_all(
                [resolver.where_verdict(r, test, depth + 1, helper_scopes) for r in results]))
        if kind in ("identifier", "shorthand_property_identifier"):
            if text(node) == "undefined":
                return Verdict.UNSCOPED
            if self._member_assignment(node, test):
                return Verdict.SCOPED
            value = self.definition(node)
            if value is None:
                bound = self._frame_argument(node)
                if bound is not None:
                    caller, argument = bound
                    return caller.where_verdict(argument, test, depth + 1, helper_scopes)
                destructured = self._destructured(node, depth)
                if destructured is not None:
                    if isinstance(destructured, Lookup):
                        return Verdict.UNSCOPED if destructured is Lookup.ABSENT else Verdict.UNKNOWN
                    return destructured[0].where_verdict(destructured[1], test, depth + 1, helper_scopes)
                imported = self.imported_value(node)
                if imported is not None:
                    return imported[0].where_verdict(imported[1], test, depth + 1, helper_scopes)
                declared = self._declared_verdict(text(node)) if helper_scopes else None
                if declared is not None and self._import_origin(text(node)) is not None:
                    return declared  # an imported value the user settled (--scoping-helper/--unscoped-helper)
                return self.from_callers(
                    node, lambda owner, argument: owner.where_verdict(argument, test, depth + 1, helper_scopes),
                    depth)
            return self.where_verdict(value, test, depth + 1, helper_scopes)
        if kind == "member_expression":  # criteria.where, input.where
            obj = unwrap(node.child_by_field_name("object"))
            prop = node.child_by_field_name("property")
            if obj is None or obj.type != "identifier" or prop is None or prop.type != "property_identifier":
                return Verdict.UNKNOWN
            key = text(prop)
            if (self.definition(obj) is None and self._frame_argument(obj) is None
                    and self.imported_value(obj) is None):
                return self.from_callers(
                    obj, lambda owner, argument: owner._member_verdict(argument, key, test, depth + 1,
                                                                       helper_scopes), depth)
            return self._member_verdict(obj, key, test, depth + 1, helper_scopes)
        if kind == "ternary_expression":
            branches = [node.child_by_field_name("consequence"), node.child_by_field_name("alternative")]
            return _combine_branches([self.where_verdict(b, test, depth + 1, helper_scopes) for b in branches])
        if kind == "binary_expression":
            operator = text(node.child_by_field_name("operator"))
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if operator == "&&":
                return self.where_verdict(right, test, depth + 1, helper_scopes)
            if operator in ("||", "??"):
                return _combine_branches([self.where_verdict(left, test, depth + 1, helper_scopes),
                                          self.where_verdict(right, test, depth + 1, helper_scopes)])
            return Verdict.UNKNOWN
        if kind in ("null", "undefined", "true", "false", "string", "number"):
            return Verdict.UNSCOPED
        return Verdict.UNKNOWN

    def _member_verdict(self, obj: Node | None, key: str, test: KeyTest, depth: int,
                        helper_scopes: bool) -> Verdict:
        """The verdict of ``obj.key`` where ``obj`` is an object expression (or names one)."""
        located = self.locate(obj, key, depth)
        if located is Lookup.ABSENT:
            return Verdict.UNSCOPED  # ...criteria.where with no where adds nothing
        if located is Lookup.UNKNOWN:
            return Verdict.UNKNOWN
        assert not isinstance(located, Lookup)
        owner, value = located
        return owner.where_verdict(value, test, depth + 1, helper_scopes)

    def _and_verdict(self, value: Node | None, test: KeyTest, depth: int, helper_scopes: bool) -> Verdict:
        value = unwrap(value)
        if value is not None and value.type == "array":
            return _combine_any([self.where_verdict(e, test, depth + 1, helper_scopes)
                                 for e in value.named_children if e.type != "comment"])
        return self.where_verdict(value, test, depth + 1, helper_scopes)

    def _or_verdict(self, value: Node | None, test: KeyTest, depth: int, helper_scopes: bool) -> Verdict:
        value = unwrap(value)
        pushed: list[Node] = []
        if value is not None and value.type == "identifier" and depth <= _MAX_DEPTH:
            pushed = self._pushed(value)
            value = self.definition(value) or value
        if value is not None and value.type == "array":
            # OR: filters, with filters.push({...}) later: every element, pushed ones included, is a branch
            return _combine_all([self.where_verdict(e, test, depth + 1, helper_scopes)
                                 for e in [*value.named_children, *pushed] if e.type != "comment"])
        mapped = self._mapped_element(value)
        if mapped is not None:  # OR: filters.map(f => ({ [f.key]: ... })): every branch is what f returns
            return self.where_verdict(mapped, test, depth + 1, helper_scopes)
        return Verdict.UNKNOWN

    def _pushed(self, identifier: Node) -> list[Node]:
        """The arguments of ``name.push(...)``/``name.unshift(...)`` in the function that uses ``name`` (a
        spread argument stands for unknown elements: it is returned as is, and judged unknown)."""
        name = text(identifier)
        scopes = self._enclosing_scopes(identifier)
        found: list[Node] = []
        for call in [*self._member_calls(scopes[0], name, "push"), *self._member_calls(scopes[0], name, "unshift")]:
            args = call.child_by_field_name("arguments")
            found.extend(a for a in (args.named_children if args is not None else []) if a.type != "comment")
        return found

    @staticmethod
    def _member_calls(scope: Node, name: str, method: str) -> list[Node]:
        calls = []
        stack = [scope]
        while stack:
            node = stack.pop()
            if node.type == "call_expression":
                callee = unwrap(node.child_by_field_name("function"))
                if callee is not None and callee.type == "member_expression" and \
                        text(callee.child_by_field_name("property")) == method and \
                        text(callee.child_by_field_name("object")) == name:
                    calls.append(node)
            stack.extend(node.children)
        return calls

    def _mapped_element(self, value: Node | None) -> Node | None:
        """The element expression of ``xs.map(x => element)``, or the call to a same-file function it makes."""
        if value is None or value.type != "call_expression":
            return None
        callee = unwrap(value.child_by_field_name("function"))
        if (callee is None or callee.type != "member_expression"
                or text(callee.child_by_field_name("property")) != "map"):
            return None
        args = _arguments(value)
        callback = unwrap(args[0]) if args else None
        if callback is None or callback.type not in ("arrow_function", "function_expression"):
            return None
        results = self._returned(callback)
        return results[0] if len(results) == 1 else None

    def lookup(self, node: Node | None, key: str, depth: int = 0) -> Node | Lookup:
        """The value of property ``key`` of the object expression ``node`` (args, include, select)."""
        found = self.locate(node, key, depth)
        return found if isinstance(found, Lookup) else found[1]

    def locate(self, node: Node | None, key: str, depth: int = 0) -> Located | Lookup:
        """Like :meth:`lookup`, with the resolver that owns the value (another module's, for args built by an
        imported function). A call's arguments stay bound to the callee's parameters until :meth:`reset`."""
        node = unwrap(node)
        if node is None:
            return Lookup.ABSENT
        if depth > _MAX_DEPTH:
            return Lookup.UNKNOWN
        kind = node.type
        if kind == "object":
            found: Located | Lookup = Lookup.ABSENT
            for child in node.named_children:
                if child.type == "pair" and property_key(child) == key:
                    value = child.child_by_field_name("value")
                    found = (self, value) if value is not None else found
                elif child.type == "shorthand_property_identifier" and text(child) == key:
                    found = (self, child)
                elif child.type == "spread_element":
                    inner = child.named_children[0] if child.named_children else None
                    spread = self.locate(inner, key, depth + 1)
                    if not isinstance(spread, Lookup) or found is Lookup.ABSENT:
                        found = spread
                elif child.type == "pair" and property_key(child) is None:
                    found = Lookup.UNKNOWN if found is Lookup.ABSENT else found
            return found
        if kind in ("identifier", "shorthand_property_identifier"):
            if text(node) == "undefined":
                return Lookup.ABSENT
            value = self.definition(node)
            if value is None:
                bound = self._frame_argument(node)
                if bound is not None:
                    return bound[0].locate(bound[1], key, depth + 1)
                destructured = self._destructured(node, depth)
                if destructured is not None:
                    if isinstance(destructured, Lookup):
                        return destructured
                    return destructured[0].locate(destructured[1], key, depth + 1)
                imported = self.imported_value(node)
                if imported is None:
                    self._note_unbound(node)
                    return Lookup.UNKNOWN
                return imported[0].locate(imported[1], key, depth + 1)
            return self.locate(value, key, depth + 1)
        if kind == "call_expression":
            target = self._callee(node)
            if target is None:
                self._note_call(node)
                return Lookup.UNKNOWN
            resolver, function = target
            results = resolver._returned(function)
            if len(results) != 1:
                return Lookup.UNKNOWN
            resolver.frames[function.id] = (self, _arguments(node))
            return resolver.locate(results[0], key, depth + 1)
        if kind == "ternary_expression":  # ...(lastRow ? { cursor, skip: 1 } : {})
            return _either(self.locate(node.child_by_field_name("consequence"), key, depth + 1),
                           self.locate(node.child_by_field_name("alternative"), key, depth + 1))
        if kind == "binary_expression" and text(node.child_by_field_name("operator")) == "&&":
            # ...(cursor && { cursor }): when the left side is falsy the spread adds nothing
            return _either(self.locate(node.child_by_field_name("right"), key, depth + 1), Lookup.ABSENT)
        if kind in ("null", "undefined", "false", "true", "string", "number"):
            return Lookup.ABSENT
        return Lookup.UNKNOWN

    def reset(self) -> None:
        """Forget call bindings, blame and the noted cause: called before each Prisma call is checked."""
        clear_cause()
        self.blame = None
        self.frames = dict(self.base_frames)
        if self.index is not None:
            for peer in self.index.peers.values():
                peer.frames.clear()


Located = tuple[Resolver, Node]


_CHAIN_LIMIT = 12


def _chain_callbacks(call: Node) -> list[Node]:
    """The function arguments of a fluent call chain of at least two calls (``match(x).with(p, cb)
    .exhaustive()``, a pattern-matching library's shape); empty when the chain passes no function."""
    callbacks: list[Node] = []
    current: Node | None = call
    calls = 0
    while current is not None and current.type == "call_expression" and calls < _CHAIN_LIMIT:
        calls += 1
        callbacks.extend(a for a in _arguments(current) if a.type in ("arrow_function", "function_expression"))
        callee = unwrap(current.child_by_field_name("function"))
        current = unwrap(callee.child_by_field_name("object")) if callee is not None and \
            callee.type == "member_expression" else None
    return callbacks if calls >= 2 else []


def _arguments(call: Node) -> list[Node]:
    args_node = call.child_by_field_name("arguments")
    args = [c for c in args_node.named_children if c.type != "comment"] if args_node is not None else []
    return [] if any(a.type == "spread_element" for a in args) else args


def _either(first: Located | Lookup, second: Located | Lookup) -> Located | Lookup:
    """The key's value when an expression is one of two branches: absent on either path means a read that
    can run without it; one value on both paths is that value; otherwise unknown."""
    if first is Lookup.UNKNOWN or second is Lookup.UNKNOWN:
        return Lookup.UNKNOWN
    if first is Lookup.ABSENT or second is Lookup.ABSENT:
        return Lookup.ABSENT
    assert not isinstance(first, Lookup) and not isinstance(second, Lookup)
    return first if first[1].id == second[1].id else Lookup.UNKNOWN


# ---- rows known to be live: created, or read with the soft-delete filter, a moment before -----------------

_CREATE_CALLS = frozenset({"create"})
"""Methods whose awaited result is a row just written as the call's ``data`` says. Not ``upsert``: its
result may be an existing row, soft-deleted or not."""
_SINGLE_READS = frozenset({"findFirst", "findFirstOrThrow", "findUnique", "findUniqueOrThrow"})
_TRANSACTIONS = frozenset({"$transaction"})
_MAX_BINDINGS = 4


def _const_binding(identifier: Node, depth: int = 0) -> Node | None:
    """The value ``identifier`` holds when it is a ``const`` declared before it in an enclosing block:
    ``const x = value``, or ``const { x } = value`` / ``const { k: x } = value`` (then the value's property,
    through an awaited ``$transaction(async (tx) => { ...; return { x } })``)."""
    name = text(identifier)
    for scope in ancestors(identifier):
        if scope.type not in _SCOPE_TYPES:
            continue
        if scope.type != "program" and Resolver._is_parameter(scope, name):
            return None
        found: Node | None = None
        declared = False
        for declarator in Resolver._collect_declarators(scope):
            pattern = declarator.child_by_field_name("name")
            key = _bound_key(pattern, name)
            if key is None:
                continue
            declared = True
            declaration = declarator.parent
            block = declaration.parent if declaration is not None else None
            if (declarator.start_byte >= identifier.start_byte or declaration is None or block is None
                    or not block.start_byte <= identifier.start_byte < block.end_byte):
                continue
            first = declaration.child(0)
            is_const = declaration.type == "lexical_declaration" and first is not None and first.type == "const"
            value = unwrap(declarator.child_by_field_name("value")) if is_const else None
            found = value if value is None or key == "" else _property_of_result(value, key, depth)
        if found is not None or declared:
            return found
    return None


def _bound_key(pattern: Node | None, name: str) -> str | None:
    """``""`` when ``pattern`` is the identifier ``name``; the property it is taken from when ``pattern``
    destructures it (``{ name }``, ``{ key: name }``); ``None`` when it does not bind ``name``."""
    if pattern is None:
        return None
    if pattern.type == "identifier":
        return "" if text(pattern) == name else None
    if pattern.type != "object_pattern":
        return None
    for part in pattern.named_children:
        if part.type == "shorthand_property_identifier_pattern" and text(part) == name:
            return name
        if part.type == "pair_pattern" and text(part.child_by_field_name("value")) == name:
            return property_key(part)
    return None


def _property_of_result(value: Node, key: str, depth: int) -> Node | None:
    """``key`` of what ``value`` yields: an object literal's property, or the property of what every
    ``return`` of a ``$transaction`` callback yields (when they all name the same const)."""
    if depth > _MAX_BINDINGS:
        return None
    if value.type == "object":
        found = _pair_value(value, key)
        found = unwrap(found)
        if found is not None and found.type in ("identifier", "shorthand_property_identifier"):
            return _const_binding(found, depth + 1)
        return found
    if value.type != "call_expression":
        return None
    callee = unwrap(value.child_by_field_name("function"))
    if callee is None or callee.type != "member_expression" or \
            text(callee.child_by_field_name("property")) not in _TRANSACTIONS:
        return None
    args = _arguments(value)
    callback = unwrap(args[0]) if args else None
    if callback is None or callback.type not in ("arrow_function", "function_expression"):
        return None
    results = [_property_of_result(r, key, depth + 1) for r in Resolver._returned(callback)]
    if not results or any(r is None for r in results) or len({r.id for r in results if r is not None}) != 1:
        return None
    return results[0]


def pinned_row_field(value: Node | None, accessor: str, soft_keys: tuple[str, ...],
                     live_read: Callable[[Node], bool]) -> str | None:
    """``row.id`` (or a ``const`` holding it), where ``row`` is a ``const`` holding a row known to be live:
    the awaited result of ``<client>.<accessor>.create({ data: {...} })`` whose data does not set a
    soft-delete key, or of a single-row read of the same model that ``live_read`` accepts (its where
    excludes deleted rows), with no mention of a soft-delete key between the two (no ``update`` that sets it).
    Returns the field of the row it reads (``id``): a where pinning a unique field to that value matches only
    that row, which was not soft-deleted a moment before. (A concurrent soft delete between the two
    statements is not modelled.)"""
    value = unwrap(value)
    if value is not None and value.type == "identifier":
        value = _const_binding(value)
    if value is None or value.type != "member_expression":
        return None
    row, field = unwrap(value.child_by_field_name("object")), value.child_by_field_name("property")
    if row is None or row.type != "identifier" or field is None or field.type != "property_identifier":
        return None
    origin = _const_binding(row)
    if origin is None or origin.type != "call_expression":
        return None
    callee = unwrap(origin.child_by_field_name("function"))
    if callee is None or callee.type != "member_expression":
        return None
    method = text(callee.child_by_field_name("property"))
    delegate = unwrap(callee.child_by_field_name("object"))
    if delegate is None or delegate.type != "member_expression" or \
            text(delegate.child_by_field_name("property")) != accessor:
        return None
    if _mentioned_between(origin, value, soft_keys):
        return None  # the row may have been soft-deleted since (an update setting deletedAt in between)
    if method in _SINGLE_READS:
        return text(field) if live_read(origin) else None
    if method not in _CREATE_CALLS:
        return None
    args = _arguments(origin)
    data = _static_object(args[0]) if args else None
    data = _static_object(_pair_value(data, "data")) if data is not None else None
    if data is None or any(_pair_value(data, key) is not None for key in soft_keys):
        return None  # the data is not a literal (it may set the key), or it sets it
    return text(field)


def _mentioned_between(first: Node, second: Node, keys: tuple[str, ...]) -> bool:
    """Is one of ``keys`` written anywhere between the end of ``first`` and the start of ``second``?"""
    scope = next((a for a in ancestors(second) if a.start_byte <= first.start_byte and a.end_byte >= first.end_byte),
                 None)
    if scope is None or scope.text is None:
        return True
    between = scope.text[first.end_byte - scope.start_byte: second.start_byte - scope.start_byte]
    return any(re.search(rb"(?<![\w$])" + re.escape(key.encode()) + rb"(?![\w$])", between) for key in keys)


def _static_object(node: Node | None) -> Node | None:
    """An object literal without spreads or computed keys (every key it sets is visible)."""
    node = unwrap(node)
    if node is None or node.type != "object":
        return None
    for child in node.named_children:
        if child.type == "spread_element" or (child.type == "pair" and property_key(child) is None):
            return None
    return node


def _pair_value(obj: Node, key: str) -> Node | None:
    for child in obj.named_children:
        if child.type == "pair" and property_key(child) == key:
            return child.child_by_field_name("value")
        if child.type == "shorthand_property_identifier" and text(child) == key:
            return child
    return None
