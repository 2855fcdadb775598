"""tree-sitter parsing of TypeScript/JavaScript, with the two grammar gaps the scan has to work around.

1. ``prisma.$queryRaw<Row[]>`SELECT ...``` (a tagged template with a type argument) is not in the grammar:
   it parses as a comparison chain with an ERROR node. :func:`blank_template_type_arguments` replaces the
   ``<...>`` with spaces of the same byte length before parsing, so every position stays correct.
2. ``await`` binds into callee chains (``await prisma.$queryRaw<T>`` becomes the callee). Callers unwrap
   with :func:`unwrap`, which looks through ``await``, parentheses, ``!`` and ``as`` casts.
"""

from __future__ import annotations

import re
from functools import cache

import tree_sitter_typescript
from tree_sitter import Language, Node, Parser, Tree

_TSX_SUFFIXES = frozenset({".tsx", ".jsx", ".js", ".mjs", ".cjs"})

# ``$queryRaw<...>`` / ``Prisma.sql<...>`` immediately followed by a template literal. The type argument may
# nest (``<Array<{ n: bigint }>>``); it never contains a backtick, ``;`` or a newline-free ``=>``.
_TYPED_TAG = re.compile(
    rb"(\$(?:queryRaw|executeRaw|queryRawUnsafe|executeRawUnsafe)|\bsql)(\s*<[^`;]{0,400}?>)(\s*`)",
)

WRAPPERS = frozenset({"await_expression", "parenthesized_expression", "non_null_expression", "as_expression",
                      "satisfies_expression", "type_assertion"})


@cache
def _language(tsx: bool) -> Language:
    grammar = tree_sitter_typescript.language_tsx() if tsx else tree_sitter_typescript.language_typescript()
    return Language(grammar)


@cache
def _parser(tsx: bool) -> Parser:
    return Parser(_language(tsx))


def blank_template_type_arguments(source: bytes) -> bytes:
    """Replace the type argument of a typed tagged template with spaces (same length, same positions)."""
    if b"`" not in source or b"<" not in source:
        return source

    def blank(match: re.Match[bytes]) -> bytes:
        kept = re.sub(rb"[^\n]", b" ", match.group(2))
        return match.group(1) + kept + match.group(3)

    return _TYPED_TAG.sub(blank, source)


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
