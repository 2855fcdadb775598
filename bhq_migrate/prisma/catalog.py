"""What the live database holds, read from pg_catalog in five set-based queries (``catalog_sql/*.sql``).

Read-only: the caller's connection should be in a read-only transaction; nothing here writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources

import psycopg
from psycopg.rows import dict_row
from pydantic import BaseModel, ConfigDict


class DbColumn(BaseModel):
    model_config = ConfigDict(frozen=True)

    schema_name: str
    table_name: str
    column_name: str
    data_type: str
    not_null: bool
    default_expression: str | None
    is_identity: bool
    is_generated: bool
    enum_name: str | None
    is_array: bool


class DbIndex(BaseModel):
    model_config = ConfigDict(frozen=True)

    schema_name: str
    table_name: str
    index_name: str
    is_unique: bool
    is_primary: bool
    column_names: tuple[str | None, ...]
    descending: tuple[bool, ...]
    predicate: str | None
    has_expressions: bool
    method: str
    constraint_type: str | None
    definition: str


class DbConstraint(BaseModel):
    """A CHECK (``c``), FOREIGN KEY (``f``) or EXCLUDE (``x``) constraint."""

    model_config = ConfigDict(frozen=True)

    schema_name: str
    table_name: str
    constraint_name: str
    constraint_type: str
    definition: str
    column_names: tuple[str, ...]
    referenced_schema: str | None
    referenced_table: str | None
    referenced_columns: tuple[str, ...]
    on_delete: str | None
    on_update: str | None


class DbEnum(BaseModel):
    model_config = ConfigDict(frozen=True)

    schema_name: str
    enum_name: str
    labels: tuple[str, ...]


class Catalog(BaseModel):
    """The audited schemas of one database."""

    model_config = ConfigDict(frozen=True)

    schemas: tuple[str, ...]
    tables: tuple[tuple[str, str], ...]
    columns: tuple[DbColumn, ...]
    indexes: tuple[DbIndex, ...]
    constraints: tuple[DbConstraint, ...]
    enums: tuple[DbEnum, ...]


def _query(name: str) -> str:
    return resources.files("bhq_migrate.prisma").joinpath("catalog_sql", name).read_text(encoding="utf-8")


def read_catalog(conn: psycopg.Connection, schemas: Sequence[str]) -> Catalog:  # type: ignore[type-arg]
    params = {"schemas": list(schemas)}
    with conn.cursor(row_factory=dict_row) as cur:
        tables = tuple((row["schema_name"], row["table_name"]) for row in cur.execute(_query("tables.sql"), params))
        columns = tuple(DbColumn(**row) for row in cur.execute(_query("columns.sql"), params))
        indexes = tuple(DbIndex(**row) for row in cur.execute(_query("indexes.sql"), params))
        constraints = tuple(DbConstraint(**row) for row in cur.execute(_query("constraints.sql"), params))
        enums = tuple(DbEnum(**row) for row in cur.execute(_query("enums.sql"), params))
    return Catalog(
        schemas=tuple(schemas), tables=tables, columns=columns, indexes=indexes, constraints=constraints, enums=enums
    )
