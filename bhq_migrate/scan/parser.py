"""tree-sitter parsing of TypeScript/JavaScript, with the two grammar gaps the scan has to work around.

1. ``prisma.$queryRaw<Row[]>`SELECT ...``` (a tagged template with a type argument) is not in the grammar:
   it parses as a comparison chain with an ERROR node. :func:`blank_template_type_arguments` replaces the
   ``<...>`` with spaces of the same byte length before parsing, so every position stays correct.
2. ``await`` binds into callee chains (``await prisma.$queryRaw<T>`` becomes the callee). Callers unwrap
   with :func:`unwrap`, which looks through ``await``, parentheses, ``!`` and ``as`` casts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

import tree_sitter_typescript
from tree_sitter import Language, Node, Parser, Query, QueryCursor, Tree

_TSX_SUFFIXES = frozenset({".tsx", ".jsx", ".js", ".mjs", ".cjs"})

# ``$queryRaw<...>`` (and a bare ``sql<...>``) that may start a typed tagged template.
_TYPED_TAG_START = re.compile(rb"(?:\$(?:queryRaw|executeRaw|queryRawUnsafe|executeRawUnsafe)|\bsql)\s*<")
_MAX_TYPE_ARGUMENT = 4000

WRAPPERS = frozenset({"await_expression", "parenthesized_expression", "non_null_expression", "as_expression",
                      "satisfies_expression", "type_assertion"})


@cache
def _language(tsx: bool) -> Language:
    grammar = tree_sitter_typescript.language_tsx() if tsx else tree_sitter_typescript.language_typescript()
    return Language(grammar)


@cache
def _parser(tsx: bool) -> Parser:
    return Parser(_language(tsx))


def _type_argument_end(source: bytes, start: int) -> int | None:
    """Index just past the ``>`` closing the ``<`` at ``start``, if a template literal follows it."""
    depth = 0
    index = start
    limit = min(len(source), start + _MAX_TYPE_ARGUMENT)
    while index < limit:
        char = source[index]
        if char == 0x3C:  # <
            depth += 1
        elif char == 0x3E and source[index - 1] != 0x3D:  # > but not the arrow =>
            depth -= 1
            if depth == 0:
                rest = source[index + 1 : index + 200].lstrip()
                return index + 1 if rest.startswith(b"`") else None
        elif char == 0x60:  # a backtick inside the type argument: not a type argument after all
            return None
        index += 1
    return None


def blank_template_type_arguments(source: bytes) -> bytes:
    """Replace the type argument of a typed tagged template with spaces (same length, same positions).

    The ``<...>`` is matched with a depth count (it nests: ``<Array<{ n: bigint }>>``, and may span lines
    and hold ``;``), and only blanked when a template literal follows it.
    """
    if b"`" not in source or b"<" not in source:
        return source
    result = bytearray(source)
    for match in _TYPED_TAG_START.finditer(source):
        open_index = match.end() - 1
        end = _type_argument_end(source, open_index)
        if end is None:
            continue
        for index in range(open_index, end):
            if result[index] not in (0x0A, 0x0D):
                result[index] = 0x20
    return bytes(result)


def is_tsx(suffix: str) -> bool:
    return suffix in _TSX_SUFFIXES


@cache
def _query(tsx: bool, pattern: str) -> Query:
    return Query(_language(tsx), pattern)


def captures(tree: Tree, suffix: str, pattern: str) -> dict[str, list[Node]]:
    """Run a tree-sitter query (in C: much faster than walking every node from Python)."""
    return QueryCursor(_query(is_tsx(suffix), pattern)).captures(tree.root_node)


def parse(source: bytes, suffix: str) -> Tree:
    """Parse with the TSX grammar for files that may hold JSX, the TypeScript grammar otherwise."""
    return _parser(suffix in _TSX_SUFFIXES).parse(blank_template_type_arguments(source))


def unwrap(node: Node | None) -> Node | None:
    """Look through ``await``, ``( )``, ``x!`` and ``x as T`` to the expression that matters."""
    while node is not None and node.type in WRAPPERS:
        inner = node.named_children[0] if node.named_children else None
        if node.type == "parenthesized_expression":
            inner = next((c for c in node.named_children if c.type != "comment"), None)
        node = inner
    return node


# ``Node.parent`` walks down from the root, so climbing is quadratic in nesting depth; real code never needs
# more than a few dozen levels, pathological input (5,000 nested parentheses) must not take seconds.
MAX_ANCESTORS = 200


def ancestors(node: Node) -> Iterator[Node]:
    """The parents of ``node``, nearest first, at most :data:`MAX_ANCESTORS` of them."""
    current = node.parent
    steps = 0
    while current is not None and steps < MAX_ANCESTORS:
        yield current
        current = current.parent
        steps += 1


def text(node: Node | None) -> str:
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", errors="replace")


def first_error(tree: Tree) -> Node | None:
    """The first ERROR or MISSING node, for a parse diagnostic."""
    if not tree.root_node.has_error:
        return None
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == "ERROR" or node.is_missing:
            return node
        stack.extend(reversed([c for c in node.children if c.has_error or c.is_missing]))
    return tree.root_node
