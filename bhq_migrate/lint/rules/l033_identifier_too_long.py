"""L033 identifier-too-long: a name longer than PostgreSQL's 63 bytes, silently truncated.

The parse tree already holds the truncated name, so the rule reads the statement's tokens instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pglast import parser

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.context import Hit, LintContext, LintRule

MAX_BYTES = 63  # NAMEDATALEN - 1


_WORD = re.compile("[A-Za-z0-9_$\u0080-\U0010ffff]{16,}")
"""Runs of identifier characters long enough to exceed MAX_BYTES (16 four-byte characters would)."""
_ONLY_THE_SCANNER_KNOWS = ("'", "$", "--", "/*", "\\", '""')
"""Strings, comments, dollar quotes and escapes: with one of these, a quote may not open an identifier."""


def _may_hold_long_identifier(sql: str) -> bool:
    """False only when no identifier of ``sql`` can be longer than :data:`MAX_BYTES`: a cheap look that spares
    most statements the scanner (a folder of migrations has thousands). Without strings, comments or escapes
    every double quote delimits an identifier, so the pieces between them alternate outside/inside."""
    if any(marker in sql for marker in _ONLY_THE_SCANNER_KNOWS):
        return True
    pieces = sql.split('"')
    if any(len(quoted.encode("utf-8")) > MAX_BYTES for quoted in pieces[1::2]):
        return True
    return any(len(word.encode("utf-8")) > MAX_BYTES for piece in pieces[::2] for word in _WORD.findall(piece))


def long_identifiers(sql: str) -> Iterator[tuple[int, str]]:
    """``(character offset, name)`` of every identifier in ``sql`` longer than :data:`MAX_BYTES` bytes."""
    if not _may_hold_long_identifier(sql):
        return
    for token in parser.scan(sql):
        if token.name != "IDENT":
            continue
        text = sql[token.start : token.end + 1]  # pglast's token offsets count characters, not bytes
        if text.startswith('"') and text.endswith('"') and len(text) >= 2:
            text = text[1:-1].replace('""', '"')
        if len(text.encode("utf-8")) > MAX_BYTES:
            yield token.start, text


def check(context: LintContext) -> Iterator[Hit]:
    for statement in context.statements:
        if statement.unit.in_do_block:
            continue  # the DO block's own text is scanned
        for location, name in long_identifiers(statement.unit.sql):
            size = len(name.encode("utf-8"))
            yield Hit(
                f'"{name[:40]}..." is {size} bytes: PostgreSQL truncates names to {MAX_BYTES} bytes, so the object '
                "gets another name than the one written, and two such names can collide",
                statement.unit,
                location,
            )
            break  # once per statement


RULE = LintRule(
    Rule(
        id="L033",
        name="identifier-too-long",
        title="An identifier longer than 63 bytes",
        severity=Severity.WARNING,
        rationale="PostgreSQL silently truncates identifiers to 63 bytes (NAMEDATALEN - 1). The object then has a "
        "different name than the migration and schema.prisma say, so drift checks and later migrations "
        "that name it disagree, and two long names with a common prefix collide.",
        fix="Choose a name of at most 63 bytes (with `@map`/`@@map` or `map:` in Prisma for long generated index "
        "and constraint names).",
    ),
    check,
)
