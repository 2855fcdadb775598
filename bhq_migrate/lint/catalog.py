"""What the live database already has, read in three set-based catalog queries (``lint/sql/*.sql``).

Used by ``plan`` and by ``apply``'s lint step, so "existing table", "current column type" and
"an index the database already has" come from the server instead of guesses. Read-only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from typing import Any, cast

import psycopg

from bhq_migrate.lint.types import TypeRef, normalise_type_name


@dataclass(frozen=True)
class TableSize:
    estimated_rows: int
    total_bytes: int
    heap_bytes: int


@dataclass
class Catalog:
    tables: set[str] = field(default_factory=set)
    columns: dict[tuple[str, str], TypeRef] = field(default_factory=dict)
    primary_keys: dict[str, tuple[str, ...]] = field(default_factory=dict)
    index_definitions: list[tuple[str, str, str]] = field(default_factory=list)
    index_tables: dict[str, str] = field(default_factory=dict)
    """``schema.index`` -> ``schema.table``: the table a DROP INDEX locks."""
    sizes: dict[str, TableSize] = field(default_factory=dict)


def _sql(name: str) -> str:
    return resources.files("bhq_migrate.lint").joinpath("sql", name).read_text(encoding="utf-8")


def _modifiers(type_name: str, typmod: int) -> tuple[int, ...]:
    """Decode ``pg_attribute.atttypmod`` the way ``format_type`` does, for the types the rules compare."""
    if typmod < 0:
        return ()
    if type_name in {"varchar", "bpchar"}:
        return (typmod - 4,)
    if type_name == "numeric":
        packed = typmod - 4
        return (packed >> 16, packed & 0xFFFF)
    if type_name in {"timestamp", "timestamptz", "time", "timetz"}:
        return (typmod,)
    return ()


def load_catalog(conn: psycopg.Connection[Any]) -> Catalog:
    """Tables, column types, primary keys, valid indexes and size estimates of every user schema."""
    catalog = Catalog()
    for schema, table, rows, total, heap, primary_key in conn.execute(cast("Any", _sql("catalog_tables.sql"))):
        name = f"{schema}.{table}"
        catalog.tables.add(name)
        catalog.sizes[name] = TableSize(int(rows), int(total), int(heap))
        if primary_key:
            catalog.primary_keys[name] = tuple(primary_key)
    for schema, table, column, type_name, typmod, is_array in conn.execute(cast("Any", _sql("catalog_columns.sql"))):
        base = type_name[1:] if is_array and type_name.startswith("_") else type_name
        catalog.columns[(f"{schema}.{table}", column)] = TypeRef(
            normalise_type_name(base), _modifiers(base, int(typmod)), is_array=bool(is_array)
        )
    for schema, table, index, definition in conn.execute(cast("Any", _sql("catalog_indexes.sql"))):
        catalog.index_definitions.append((f"{schema}.{table}", index, definition))
        catalog.index_tables[f"{schema}.{index}"] = f"{schema}.{table}"
    return catalog
