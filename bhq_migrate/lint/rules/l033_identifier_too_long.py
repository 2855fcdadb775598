"""L033 identifier-too-long: a name longer than PostgreSQL's 63 bytes, silently truncated.

The parse tree already holds the truncated name, so the rule reads the statement's tokens instead.
"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import parser

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.context import Hit, LintContext, LintRule

MAX_BYTES = 63  # NAMEDATALEN - 1


def long_identifiers(sql: str) -> Iterator[tuple[int, str]]:
    """``(byte offset, name)`` of every identifier in ``sql`` longer than :data:`MAX_BYTES` bytes."""
    raw = sql.encode("utf-8")
    for token in parser.scan(sql):
        if token.name != "IDENT":
            continue
        text = raw[token.start : token.end + 1].decode("utf-8", errors="replace")
        if text.startswith('"') and text.endswith('"') and len(text) >= 2:
            text = text[1:-1].replace('""', '"')
        if len(text.encode("utf-8")) > MAX_BYTES:
            yield token.start, text


def check(context: LintContext) -> Iterator[Hit]:
    for statement in context.statements:
        if statement.unit.in_do_block:
            continue  # the DO block's own text is scanned
        for offset, name in long_identifiers(statement.unit.sql):
            size = len(name.encode("utf-8"))
            index = len(statement.unit.sql.encode("utf-8")[:offset].decode("utf-8", errors="ignore"))
            location = index
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
