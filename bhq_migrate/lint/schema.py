"""The schema the plans build, statement by statement, on top of what the database already has.

Rules that compare statements with each other (redundant indexes, FK type mismatches, CHECK value sets)
read this model instead of re-walking the AST. Without a database every table the plans do not create
counts as existing, with unknown columns; with the shared :class:`~bhq_migrate.catalog.Catalog` (parts
``COLUMNS | INDEXES | CONSTRAINTS``, see :data:`CATALOG_PARTS`) the live tables, column types, primary keys
and valid indexes are known too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pglast import ast, parser
from pglast.enums import A_Expr_Kind, AlterTableType, BoolExprType, ConstrType, NullTestType, ObjectType

from bhq_migrate.catalog.model import Part
from bhq_migrate.lint.analysis import qualified_name
from bhq_migrate.lint.source import Unit
from bhq_migrate.lint.types import TypeRef, type_from_ast, type_from_column

if TYPE_CHECKING:
    from bhq_migrate.catalog import Catalog

CATALOG_PARTS = Part.COLUMNS | Part.INDEXES | Part.CONSTRAINTS
"""What lint reads from the shared catalog: tables with column types, valid indexes, primary keys."""

SOFT_DELETE_COLUMNS = frozenset({"deletedAt", "deleted_at"})


def _print_sql(node: object) -> str:
    """pglast's SQL printer, imported on first use: its printer modules cost a third of lint's start-up."""
    from pglast.stream import RawStream

    return str(RawStream()(node))


@dataclass(frozen=True, eq=False)
class IndexInfo:
    """A unique constraint's index, a CREATE INDEX of a plan, or an index of the database (``unit`` None)."""

    table: str
    name: str
    keys: tuple[str, ...]
    unique: bool
    predicate: ast.Node | None
    unit: Unit | None = None
    location: int | None = None
    origin: str = "index"  # "index", "constraint", "primary key" or "database"

    @property
    def predicate_sql(self) -> str:
        return _print_sql(self.predicate) if self.predicate is not None else ""

    def describe(self) -> str:
        kind = {"constraint": "UNIQUE constraint", "primary key": "PRIMARY KEY"}.get(self.origin, "index")
        name = f" {self.name}" if self.name else ""
        where = f" WHERE {self.predicate_sql}" if self.predicate is not None else ""
        where_found = " (in the database)" if self.origin == "database" else ""
        return f"{kind}{name} ({', '.join(self.keys)}){where}{where_found}"


@dataclass(frozen=True, eq=False)
class ForeignKey:
    table: str
    columns: tuple[str, ...]
    referenced_table: str
    referenced_columns: tuple[str, ...]
    on_delete: str
    unit: Unit
    location: int | None


@dataclass(frozen=True, eq=False)
class CheckedValues:
    """``column IN ('a', 'b')`` (or ``= ANY (ARRAY[...])``) in a CHECK constraint."""

    table: str
    column: str
    values: frozenset[str]
    unit: Unit
    location: int | None


@dataclass(eq=False)
class ColumnInfo:
    table: str
    name: str
    type: TypeRef | None
    unit: Unit | None = None
    location: int | None = None


@dataclass
class SchemaModel:
    catalog: Catalog | None = None
    existing_tables: set[str] = field(default_factory=set)
    """``schema.table`` of every table the catalog has (empty without one)."""
    created_tables: dict[str, Unit] = field(default_factory=dict)
    columns: dict[tuple[str, str], ColumnInfo] = field(default_factory=dict)
    indexes: list[IndexInfo] = field(default_factory=list)
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    checked_values: list[CheckedValues] = field(default_factory=list)
    primary_keys: dict[str, tuple[str, ...]] = field(default_factory=dict)
    persistence: dict[str, str] = field(default_factory=dict)
    """``p`` (logged) or ``u`` (unlogged) of the tables whose persistence is known: the catalog's, and those the
    plans create or SET LOGGED / UNLOGGED."""
    deployed_from: dict[str, int] = field(default_factory=dict)
    """Tables created by files deployed earlier (see :meth:`settle`): the index of the first file for which
    each one exists and holds rows."""

    @classmethod
    def from_catalog(cls, catalog: Catalog | None) -> SchemaModel:
        model = cls(catalog=catalog)
        if catalog is None:
            return model
        for (schema, name), live in catalog.tables.items():
            table = f"{schema}.{name}"
            model.existing_tables.add(table)
            model.persistence[table] = live.persistence
            for column in live.columns.values():
                model.columns[(table, column.name)] = ColumnInfo(table, column.name, type_from_column(column))
            primary_key = catalog.primary_key((schema, name))
            if primary_key is not None:
                model.primary_keys[table] = primary_key.columns
        for index in catalog.indexes.values():
            if not index.valid:
                continue
            statement = parser.parse_sql(index.definition)[0].stmt
            if isinstance(statement, ast.IndexStmt):
                model.indexes.append(_index_info(
                    statement, None, origin="database", table=f"{index.table[0]}.{index.table[1]}", name=index.name
                ))
        return model

    def table_existed(self, table: str, file_index: int | None = None) -> bool:
        """Did ``table`` exist before the plans ran (or, with ``file_index``, before that file ran)? With a
        catalog, the catalog says; without, any table the plans do not create is assumed to exist. A table an
        earlier deployed file created exists too (see :meth:`settle`)."""
        first = self.deployed_from.get(table)
        if first is not None and (file_index is None or first <= file_index):
            return True
        if self.catalog is not None:
            return table in self.existing_tables
        return table not in self.created_tables

    def settle(self, next_file_index: int) -> None:
        """The files so far are deployed: every table they created exists from file ``next_file_index`` on."""
        for table in self.created_tables:
            self.deployed_from.setdefault(table, next_file_index)

    def column_type(self, table: str, column: str) -> TypeRef | None:
        info = self.columns.get((table, column))
        return info.type if info else None

    def persistence_of(self, table: str) -> str | None:
        """``p`` or ``u`` when known (see :attr:`persistence`), else None."""
        return self.persistence.get(table)

    def has_soft_delete(self, table: str) -> bool:
        return any((table, name) in self.columns for name in SOFT_DELETE_COLUMNS)

    def known_tables(self) -> set[str]:
        tables = {table for table, _ in self.columns} | set(self.created_tables)
        return tables | self.existing_tables

    def apply(self, unit: Unit) -> None:
        """Record what ``unit`` adds to the schema (call in plan order)."""
        node = unit.node
        if isinstance(node, ast.CreateStmt):
            self._create_table(node, unit)
        elif isinstance(node, ast.AlterTableStmt):
            self._alter_table(node, unit)
        elif isinstance(node, ast.IndexStmt):
            self.indexes.append(_index_info(node, unit))
        elif isinstance(node, ast.DropStmt) and node.removeType == ObjectType.OBJECT_INDEX:
            dropped = {getattr(obj[-1], "sval", "") for obj in node.objects or () if isinstance(obj, tuple)}
            self.indexes = [index for index in self.indexes if index.name not in dropped]

    def _create_table(self, node: ast.CreateStmt, unit: Unit) -> None:
        table = qualified_name(node.relation)
        self.created_tables.setdefault(table, unit)
        self.persistence[table] = node.relation.relpersistence or "p"
        for element in node.tableElts or ():
            if isinstance(element, ast.ColumnDef):
                self._add_column(table, element, unit)
            elif isinstance(element, ast.Constraint):
                self._add_constraint(table, element, unit, None)

    def _add_column(self, table: str, column: ast.ColumnDef, unit: Unit) -> None:
        type_ref = type_from_ast(column.typeName) if column.typeName is not None else None
        if (table, column.colname) not in self.columns or self.columns[(table, column.colname)].unit is None:
            self.columns[(table, column.colname)] = ColumnInfo(table, column.colname, type_ref, unit, column.location)
        for constraint in column.constraints or ():
            self._add_constraint(table, constraint, unit, column.colname)

    def _add_constraint(self, table: str, constraint: ast.Constraint, unit: Unit, column: str | None) -> None:
        kind = constraint.contype
        if kind in (ConstrType.CONSTR_UNIQUE, ConstrType.CONSTR_PRIMARY):
            keys = tuple(key.sval for key in constraint.keys or ()) or ((column,) if column else ())
            if kind == ConstrType.CONSTR_PRIMARY:
                self.primary_keys[table] = keys
            origin = "primary key" if kind == ConstrType.CONSTR_PRIMARY else "constraint"
            self.indexes.append(
                IndexInfo(
                    table,
                    constraint.conname or "",
                    tuple(_quote(k) for k in keys),
                    True,
                    None,
                    unit,
                    constraint.location,
                    origin,
                )
            )
        elif kind == ConstrType.CONSTR_FOREIGN:
            columns = tuple(a.sval for a in constraint.fk_attrs or ()) or ((column,) if column else ())
            referenced = qualified_name(constraint.pktable)
            referenced_columns = tuple(a.sval for a in constraint.pk_attrs or ()) or self.primary_keys.get(
                referenced, ()
            )
            self.foreign_keys.append(
                ForeignKey(
                    table,
                    columns,
                    referenced,
                    referenced_columns,
                    constraint.fk_del_action or "a",
                    unit,
                    constraint.location,
                )
            )
        elif kind == ConstrType.CONSTR_CHECK:
            for checked_column, values in _in_lists(constraint.raw_expr):
                self.checked_values.append(CheckedValues(table, checked_column, values, unit, constraint.location))

    def _alter_table(self, node: ast.AlterTableStmt, unit: Unit) -> None:
        table = qualified_name(node.relation)
        for cmd in node.cmds or ():
            if cmd.subtype == AlterTableType.AT_AddColumn and isinstance(cmd.def_, ast.ColumnDef):
                self._add_column(table, cmd.def_, unit)
            elif cmd.subtype == AlterTableType.AT_AlterColumnType and cmd.name:
                existing = self.columns.get((table, cmd.name))
                new_type = type_from_ast(cmd.def_.typeName)
                if existing is None:
                    self.columns[(table, cmd.name)] = ColumnInfo(table, cmd.name, new_type, unit, cmd.def_.location)
                else:
                    existing.type = new_type
            elif cmd.subtype == AlterTableType.AT_AddConstraint and isinstance(cmd.def_, ast.Constraint):
                self._add_constraint(table, cmd.def_, unit, None)
            elif cmd.subtype == AlterTableType.AT_SetLogged:
                self.persistence[table] = "p"
            elif cmd.subtype == AlterTableType.AT_SetUnLogged:
                self.persistence[table] = "u"


def _quote(identifier: str) -> str:
    return identifier if re.fullmatch(r"[a-z_][a-z0-9_]*", identifier) else f'"{identifier}"'


def _key_sql(element: ast.IndexElem) -> str:
    if element.name:
        return _quote(element.name)
    return _print_sql(element.expr) if element.expr is not None else ""


def _index_info(
    node: ast.IndexStmt,
    unit: Unit | None,
    origin: str = "index",
    table: str | None = None,
    name: str | None = None,
) -> IndexInfo:
    return IndexInfo(
        table=table or qualified_name(node.relation),
        name=name or node.idxname or "",
        keys=tuple(_key_sql(element) for element in node.indexParams or ()),
        unique=bool(node.unique),
        predicate=node.whereClause,
        unit=unit,
        location=node.relation.location if node.relation is not None else None,
        origin=origin,
    )


def column_of(node: object) -> str | None:
    """The column name of a plain ``ColumnRef`` (``"deletedAt"`` or ``t."deletedAt"``)."""
    if isinstance(node, ast.ColumnRef) and node.fields:
        last = node.fields[-1]
        return getattr(last, "sval", None)
    return None


def conjuncts(node: ast.Node | None) -> list[ast.Node]:
    """``a AND b AND c`` as ``[a, b, c]``."""
    if node is None:
        return []
    if isinstance(node, ast.BoolExpr) and node.boolop == BoolExprType.AND_EXPR:
        return [part for arg in node.args or () for part in conjuncts(arg)]
    return [node]


def null_tests(predicate: ast.Node | None, kind: NullTestType) -> set[str]:
    """Columns tested ``IS NULL`` (or ``IS NOT NULL``) by a top-level conjunct of ``predicate``."""
    return {
        column
        for part in conjuncts(predicate)
        if isinstance(part, ast.NullTest) and part.nulltesttype == kind
        if (column := column_of(part.arg)) is not None
    }


def _string_values(items: object) -> frozenset[str] | None:
    values: list[str] = []
    for item in items if isinstance(items, tuple) else ():
        value = getattr(getattr(item, "val", None), "sval", None)
        if value is None:
            return None
        values.append(value)
    return frozenset(values) if values else None


def _in_lists(expression: ast.Node | None) -> list[tuple[str, frozenset[str]]]:
    """``col IN ('a', 'b')`` and ``col = ANY (ARRAY['a', 'b'])`` conjuncts of a CHECK expression."""
    found: list[tuple[str, frozenset[str]]] = []
    for part in conjuncts(expression):
        if not isinstance(part, ast.A_Expr):
            continue
        column = column_of(part.lexpr)
        if column is None:
            continue
        items = part.rexpr.elements if isinstance(part.rexpr, ast.A_ArrayExpr) else part.rexpr
        values = _string_values(items)
        if values is not None and part.kind in (A_Expr_Kind.AEXPR_IN, A_Expr_Kind.AEXPR_OP_ANY):
            found.append((column, values))
    return found
