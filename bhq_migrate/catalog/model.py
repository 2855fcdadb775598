"""The catalog's facts as frozen, slotted dataclasses keyed by qualified name (see the package docstring).

Dataclasses rather than pydantic models: a database with thousands of tables yields tens of thousands of
rows, and validating rows the server already typed would dominate the run time (bench/RESULTS.md).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

QName = tuple[str, str]
"""(schema, name), both as stored in the catalog (unquoted, case kept)."""

FK_ACTIONS = {"a": "no action", "r": "restrict", "c": "cascade", "n": "set null", "d": "set default"}
"""pg_constraint.confdeltype / confupdtype codes as the words of the SQL syntax."""

POLICY_COMMANDS = {"r": "SELECT", "a": "INSERT", "w": "UPDATE", "d": "DELETE", "*": "ALL"}
"""pg_policy.polcmd codes as the words of CREATE POLICY ... FOR."""

INDOPTION_DESC = 1
INDOPTION_NULLS_FIRST = 2


class Part(enum.Flag):
    """What to read. Each part is one set-based query; ask only for what you use."""

    TABLES = enum.auto()
    """Tables with kind, owner, RLS flags, size and row estimates (implied by COLUMNS)."""
    COLUMNS = enum.auto()
    """Tables with their columns (one query yields both)."""
    INDEXES = enum.auto()
    CONSTRAINTS = enum.auto()
    POLICIES = enum.auto()
    DEPENDENTS = enum.auto()
    """What depends on each column: views, indexes, constraints, triggers... (not the column's own default)."""
    SEQUENCES = enum.auto()
    TRIGGERS = enum.auto()
    ENUMS = enum.auto()
    ALL = TABLES | COLUMNS | INDEXES | CONSTRAINTS | POLICIES | DEPENDENTS | SEQUENCES | TRIGGERS | ENUMS


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str
    """As ``format_type`` renders it: ``character varying(40)``, ``integer[]``, ``"Role"``."""
    not_null: bool
    default: str | None
    """The default expression as the server renders it (``pg_get_expr``), or None."""
    position: int
    type_name: str = ""
    """The internal type name (``int4``; ``_int4`` for an array of int4)."""
    type_modifier: int = -1
    """``pg_attribute.atttypmod`` (-1: none)."""
    type_oid: int = 0
    is_array: bool = False
    identity: str | None = None
    """``a`` (GENERATED ALWAYS AS IDENTITY), ``d`` (BY DEFAULT) or None."""
    generated: str | None = None
    """``s`` for a stored generated column, else None."""
    enum_name: str | None = None
    """The enum type's name (of the element, for an array of enums), else None."""
    comment: str | None = None
    has_privileges: bool = False
    """Column-level GRANTs exist."""


@dataclass(frozen=True, slots=True)
class Table:
    schema: str
    name: str
    columns: Mapping[str, Column] = field(default_factory=dict)
    """In position order; empty unless :attr:`Part.COLUMNS` was read."""
    kind: str = "r"
    """``r`` ordinary table, ``p`` partitioned table."""
    owner: str = ""
    rls_enabled: bool = False
    rls_forced: bool = False
    is_partition: bool = False
    has_inheritance: bool = False
    """It has inheritance parents or children (or partitions)."""
    estimated_rows: int = 0
    """The planner's estimate (``reltuples``; 0 if never analysed)."""
    analyzed: bool = False
    """``reltuples`` is known (the table was vacuumed or analysed at least once)."""
    heap_bytes: int = 0
    """``relpages`` x block size: an estimate as of the last VACUUM/ANALYZE, read without a lock."""
    total_bytes: int = 0
    """Heap, TOAST and indexes, estimated the same way."""
    persistence: str = "p"
    """``p`` logged (permanent), ``u`` unlogged (``pg_class.relpersistence``)."""

    @property
    def qname(self) -> QName:
        return (self.schema, self.name)


@dataclass(frozen=True, slots=True)
class IndexColumn:
    """A key column: ``column`` for a plain column, else ``expression`` as the server renders it."""

    column: str | None
    expression: str | None
    descending: bool
    nulls_first: bool


@dataclass(frozen=True, slots=True)
class Index:
    schema: str
    name: str
    table: QName
    keys: tuple[IndexColumn, ...]
    unique: bool
    primary: bool
    method: str
    predicate: str | None
    valid: bool
    ready: bool
    constraint: str | None
    """The PRIMARY KEY / UNIQUE / EXCLUDE constraint it backs, if any."""
    constraint_type: str | None = None
    """That constraint's contype (``p``, ``u``, ``x``)."""
    include: tuple[str, ...] = ()
    definition: str = ""
    """``pg_get_indexdef``: the CREATE INDEX statement a dump would contain."""

    @property
    def qname(self) -> QName:
        return (self.schema, self.name)

    @property
    def key_columns(self) -> tuple[str | None, ...]:
        return tuple(key.column for key in self.keys)

    @property
    def has_expressions(self) -> bool:
        return any(key.expression is not None for key in self.keys)


@dataclass(frozen=True, slots=True)
class Constraint:
    table: QName
    name: str
    type: str
    """PostgreSQL's contype: c (check), f (foreign key), u (unique), p (primary key), x (exclusion), t (trigger)."""
    columns: tuple[str, ...]
    validated: bool
    ref_table: QName | None = None
    ref_columns: tuple[str, ...] = ()
    on_delete: str | None = None
    """A foreign key's ON DELETE action in words (:data:`FK_ACTIONS`), else None."""
    on_update: str | None = None
    expression: str | None = None
    """A CHECK's expression as the server renders it."""
    index: str | None = None
    definition: str = ""
    """``pg_get_constraintdef``: ``FOREIGN KEY (...) REFERENCES ... ON DELETE CASCADE``."""


@dataclass(frozen=True, slots=True)
class Policy:
    table: QName
    name: str
    permissive: bool
    command: str
    """``SELECT``, ``INSERT``, ``UPDATE``, ``DELETE`` or ``ALL``."""
    roles: tuple[str, ...]
    using: str | None
    with_check: str | None


@dataclass(frozen=True, slots=True)
class Dependent:
    """Something that depends on a column; ``view`` is set when it is a view or materialized view."""

    description: str
    """``pg_describe_object``'s text, e.g. ``view public.v`` or ``index "Animal_tenantId_idx"``."""
    view: QName | None = None
    view_kind: str | None = None
    """``v`` view, ``m`` materialized view."""
    view_sql: str | None = None
    """The view's name as SQL, quoted where needed (``public.v``, ``public."Vue"``)."""


@dataclass(frozen=True, slots=True)
class Sequence:
    schema: str
    name: str
    data_type: str
    start: int
    increment: int
    min_value: int
    max_value: int
    cycles: bool
    owned_by: tuple[str, str, str] | None = None
    """(schema, table, column) of the serial or identity column that owns it."""

    @property
    def qname(self) -> QName:
        return (self.schema, self.name)


@dataclass(frozen=True, slots=True)
class Trigger:
    table: QName
    name: str
    enabled: str
    """pg_trigger.tgenabled: ``O`` (origin), ``D`` (disabled), ``R`` (replica), ``A`` (always)."""
    function: str
    definition: str


@dataclass(frozen=True, slots=True)
class Enum:
    schema: str
    name: str
    labels: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Catalog:
    """One consistent read of the catalog. Maps are empty for the parts that were not read (see ``parts``)."""

    server_version: int
    schemas: frozenset[str]
    """The schemas in scope that exist."""
    parts: Part
    tables: Mapping[QName, Table] = field(default_factory=dict)
    indexes: Mapping[QName, Index] = field(default_factory=dict)
    constraints: Mapping[tuple[QName, str], Constraint] = field(default_factory=dict)
    policies: Mapping[tuple[QName, str], Policy] = field(default_factory=dict)
    dependents: Mapping[tuple[QName, str], tuple[Dependent, ...]] = field(default_factory=dict)
    """(table, column) -> what depends on that column; columns nothing depends on are absent."""
    sequences: Mapping[QName, Sequence] = field(default_factory=dict)
    triggers: Mapping[tuple[QName, str], Trigger] = field(default_factory=dict)
    enums: Mapping[QName, Enum] = field(default_factory=dict)
    has_history: bool = False
    """bhq-migrate's own ``bhq_migrate.history`` table exists."""
    has_steps: bool = False
    """``bhq_migrate.steps`` (progress of ``apply --online``) exists."""
    matched_names: frozenset[str] = frozenset()
    """The ``names`` the caller gave that match an existing table in ``schemas`` (bare or ``schema.table``)."""
    indexes_by_table: Mapping[QName, tuple[Index, ...]] = field(default_factory=dict)
    constraints_by_table: Mapping[QName, tuple[Constraint, ...]] = field(default_factory=dict)
    policies_by_table: Mapping[QName, tuple[Policy, ...]] = field(default_factory=dict)
    triggers_by_table: Mapping[QName, tuple[Trigger, ...]] = field(default_factory=dict)

    def index_on(self, schema: str, name: str) -> Index | None:
        return self.indexes.get((schema, name))

    def constraint(self, table: QName, name: str) -> Constraint | None:
        return self.constraints.get((table, name))

    def primary_key(self, table: QName) -> Constraint | None:
        return next((c for c in self.constraints_by_table.get(table, ()) if c.type == "p"), None)
