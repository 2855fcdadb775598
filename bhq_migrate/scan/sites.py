"""Find the syntax nodes the scan looks at by searching the bytes, then asking the tree for the node there.

Every interesting node has a literal name in it: ``.findMany``, ``.$queryRaw``, ``transaction(``,
``Prisma.TransactionClient``, a client name. A regex finds those names in C; ``named_descendant_for_byte_range``
turns each hit into its node, and a hit inside a comment or string simply lands on the wrong node type and
is dropped. This replaces a tree-sitter query, whose cost is a walk of the whole tree (about 0.1 s per 1,000
files for each pattern), with work proportional to the hits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from tree_sitter import Node

from bhq_migrate.scan.parser import ancestors, text
from bhq_migrate.scan.prisma_api import (
    ALL_METHODS,
    CLIENT_TYPE,
    RAW_AND_SQL,
    SINGLE_READS,
    TRANSACTION_METHODS,
)

_METHOD_NAMES = sorted(ALL_METHODS | RAW_AND_SQL | TRANSACTION_METHODS)
_CALLED_METHOD = re.compile(rb"\.\s*(" + b"|".join(re.escape(n.encode()) for n in _METHOD_NAMES) + rb")\b")
# A regex that starts with a lookbehind or ``\b`` gets no fast scan for its first bytes from Python's re: it
# tries every position, and on real code that cost more than the rest of the file's analysis. So these start
# with their literal and the byte before a match is checked by hand (:func:`_after`). The matches are the same:
# a rejected match holds only identifier bytes, so no match the lookbehind would accept can start inside it.
_TRANSACTION_FUNCTION = re.compile(rb"transaction\s*\(")
_CLIENT_TYPE_BYTES = re.compile(CLIENT_TYPE.pattern.removeprefix(r"\b").encode())
_WORD_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_IDENTIFIER_BYTES = _WORD_BYTES | {ord("$")}
_MEMBER_BYTES = _IDENTIFIER_BYTES | {ord(".")}
_IDENTIFIER = re.compile(rb"[\w$]+")


def _after(source: bytes, start: int, rejected: frozenset[int]) -> bool:
    """The byte before ``start`` is not one of ``rejected`` (a lookbehind ``(?<![...])``)."""
    return start == 0 or source[start - 1] not in rejected


def _transaction_names(source: bytes) -> Iterator[tuple[int, int]]:
    """Where ``(?<![\\w$.])(\\$?transaction)\\s*\\(`` matches, as group 1's span: ``transaction(`` and
    ``$transaction(``, not after an identifier byte or a dot."""
    for match in _TRANSACTION_FUNCTION.finditer(source):
        start = match.start()
        if start and source[start - 1] == ord("$"):
            start -= 1
        if _after(source, start, _MEMBER_BYTES):
            yield start, match.start() + len(b"transaction")


def client_type_spans(source: bytes) -> Iterator[tuple[int, int]]:
    """Where :data:`~bhq_migrate.scan.prisma_api.CLIENT_TYPE` matches in ``source`` (its leading ``\\b`` checked by
    hand)."""
    for match in _CLIENT_TYPE_BYTES.finditer(source):
        if _after(source, match.start(), _WORD_BYTES):
            yield match.start(), match.end()


_PARAMETERS = frozenset({"required_parameter", "optional_parameter"})


@dataclass
class Sites:
    """Candidate nodes of one file, each list in source order without duplicates."""

    calls: list[Node] = field(default_factory=list)
    """``x.method(...)`` for a Prisma method, a raw-SQL method, ``.sql`` or ``$transaction``."""
    fluent: list[Node] = field(default_factory=list)
    """``x.findUnique(...).relation(...)``."""
    transactions: list[Node] = field(default_factory=list)
    """``transaction(...)`` called as a plain function (a destructured wrapper)."""
    parameters: list[Node] = field(default_factory=list)
    """Parameters whose type annotation names a Prisma client type."""


def _node_at(root: Node, start: int, end: int) -> Node | None:
    return root.named_descendant_for_byte_range(start, end)


def _call_of_property(prop: Node) -> Node | None:
    """``prop`` is the property of ``a.prop``; return the call ``a.prop(...)`` (also ``(await a.prop)<T>(...)``)."""
    member = prop.parent
    if member is None or member.type != "member_expression":
        return None
    parent = member.parent
    if parent is not None and parent.type == "await_expression":
        member, parent = parent, parent.parent
    if parent is None or parent.type != "call_expression":
        return None
    function = parent.child_by_field_name("function")
    return parent if function is not None and function.id == member.id else None


def _fluent_call(call: Node) -> Node | None:
    """``call.relation(...)`` when ``call`` is the object of a member expression that is itself called."""
    member = call.parent
    if member is None or member.type != "member_expression":
        return None
    obj = member.child_by_field_name("object")
    if obj is None or obj.id != call.id:
        return None
    outer = member.parent
    if outer is None or outer.type != "call_expression":
        return None
    function = outer.child_by_field_name("function")
    return outer if function is not None and function.id == member.id else None


def find_sites(root: Node, source: bytes) -> Sites:
    sites = Sites()
    seen: set[int] = set()
    for match in _CALLED_METHOD.finditer(source):
        prop = _node_at(root, match.start(1), match.end(1))
        if prop is None or prop.type != "property_identifier":
            continue
        call = _call_of_property(prop)
        if call is None or call.id in seen:
            continue
        seen.add(call.id)
        sites.calls.append(call)
        if match.group(1).decode() in SINGLE_READS:
            fluent = _fluent_call(call)
            if fluent is not None and fluent.id not in seen:
                seen.add(fluent.id)
                sites.fluent.append(fluent)
    for start, end in _transaction_names(source):
        name = _node_at(root, start, end)
        parent = name.parent if name is not None else None
        if name is not None and name.type == "identifier" and parent is not None and parent.type == "call_expression":
            function = parent.child_by_field_name("function")
            if function is not None and function.id == name.id:
                sites.transactions.append(parent)
    for start, end in client_type_spans(source):
        node = _node_at(root, start, end)
        if node is None:
            continue
        parameter = next((a for a in ancestors(node) if a.type in _PARAMETERS), None)
        if parameter is not None and parameter.id not in seen:
            seen.add(parameter.id)
            sites.parameters.append(parameter)
    return sites


_DECLARATOR_DEPTH = 8


def declarators_mentioning(root: Node, source: bytes, names: Iterable[str]) -> list[Node]:
    """Variable declarators in which one of ``names`` occurs as an identifier or property key: the only
    ones that can bind a client alias or a destructured delegate."""
    words = sorted({name for name in names if name})
    if not words:
        return []
    alternatives = b"|".join(re.escape(w.encode()) for w in words)
    # identifiers only (the usual case): the lookbehind is checked by hand, as for _TRANSACTION_FUNCTION
    by_hand = all(_IDENTIFIER.fullmatch(w.encode()) for w in words)
    pattern = re.compile((b"" if by_hand else rb"(?<![\w$])") + b"(" + alternatives + rb")(?![\w$])")
    found: list[Node] = []
    seen: set[int] = set()
    for match in pattern.finditer(source):
        if by_hand and not _after(source, match.start(1), _IDENTIFIER_BYTES):
            continue
        node = _node_at(root, match.start(1), match.end(1))
        if node is None or node.type in ("comment", "string_fragment", "string", "template_string"):
            continue
        for depth, ancestor in enumerate(ancestors(node)):
            if depth >= _DECLARATOR_DEPTH or ancestor.type in ("statement_block", "program", "arrow_function"):
                break
            if ancestor.type == "variable_declarator":
                if ancestor.id not in seen:
                    seen.add(ancestor.id)
                    found.append(ancestor)
                break
    return found


def names_in(nodes: Iterable[Node]) -> set[str]:
    return {text(node) for node in nodes}
