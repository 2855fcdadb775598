"""L012 fk-type-mismatch: a referencing column whose type differs from the key it references."""

from __future__ import annotations

import re
from collections.abc import Iterator

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.analysis import display_name
from bhq_migrate.lint.context import Hit, LintContext, LintRule
from bhq_migrate.lint.schema import ColumnInfo, SchemaModel

_ID_SUFFIX = re.compile(r"(?:_id|Id)$")
_INTEGER_BYTES = {"int2": 2, "int4": 4, "int8": 8}


def _words(name: str) -> list[str]:
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    return [word.lower() for word in spaced.split("_") if word]


def _implied_table(column: ColumnInfo, schema: SchemaModel) -> str | None:
    """The table a ``<thing>Id`` column without a FK most likely points at: ``marketplaceTransactionId`` ->
    ``marketplace.transactions``; ``invoice_id`` -> ``<same schema>.invoices``."""
    if not _ID_SUFFIX.search(column.name):
        return None
    words = _words(_ID_SUFFIX.sub("", column.name))
    if not words:
        return None
    own_schema = column.table.split(".", 1)[0]
    known = schema.known_tables()
    candidates: list[str] = []
    for split in range(len(words)):
        prefix, rest = words[:split], words[split:]
        schemas = ["_".join(prefix)] if prefix else [own_schema, "public"]
        for name in ("_".join(rest), "_".join(rest) + "s"):
            candidates.extend(f"{s}.{name}" for s in schemas)
    return next((candidate for candidate in candidates if candidate in known and candidate != column.table), None)


def check(context: LintContext) -> Iterator[Hit]:
    schema = context.schema
    referencing: set[tuple[str, str]] = set()
    for key in schema.foreign_keys:
        for column, referenced in zip(key.columns, key.referenced_columns, strict=False):
            referencing.add((key.table, column))
            mine, theirs = (
                schema.column_type(key.table, column),
                schema.column_type(key.referenced_table, referenced),
            )
            if mine is None or theirs is None or (mine.name, mine.is_array) == (theirs.name, theirs.is_array):
                continue
            yield Hit(
                f'{display_name(key.table)}."{column}" is {mine.display()} but references '
                f'{display_name(key.referenced_table)}."{referenced}" ({theirs.display()})',
                key.unit,
                key.location,
            )
    yield from _unreferenced_ids(schema, referencing)


def _unreferenced_ids(schema: SchemaModel, referencing: set[tuple[str, str]]) -> Iterator[Hit]:
    """``<thing>Id`` columns with no FOREIGN KEY, narrower than the key of the table they name."""
    for info in schema.columns.values():
        if info.unit is None or info.type is None or (info.table, info.name) in referencing:
            continue
        target = _implied_table(info, schema)
        primary_key = schema.primary_keys.get(target or "", ())
        if target is None or len(primary_key) != 1:
            continue
        key_type = schema.column_type(target, primary_key[0])
        if key_type is None or not 0 < _INTEGER_BYTES.get(info.type.name, 0) < _INTEGER_BYTES.get(key_type.name, 0):
            continue
        yield Hit(
            f'{display_name(info.table)}."{info.name}" is {info.type.display()} but holds ids of '
            f'{display_name(target)}."{primary_key[0]}" ({key_type.display()}), with no FOREIGN KEY: ids '
            "past 2^31 - 1 fail with 'integer out of range'",
            info.unit,
            info.location,
        )


RULE = LintRule(
    Rule(
        id="L012",
        name="fk-type-mismatch",
        title="Referencing column's type differs from the referenced key",
        severity=Severity.WARNING,
        rationale="A reference column must hold every value of the key it points to. An INTEGER column "
        "pointing at a BIGINT/BIGSERIAL key fails with 'integer out of range' once ids pass "
        "2,147,483,647, and mismatched types make joins cast. A `<table>Id` column with no FOREIGN"
        " KEY at all also lets dangling ids in.",
        fix="Give the column the key's type (BIGINT for BIGSERIAL) and declare the FOREIGN KEY (NOT VALID, "
        "then VALIDATE).",
    ),
    check,
)
