"""``audit-prisma``: compare a schema.prisma with the live catalog and classify every difference.

The Prisma side is turned into the database objects Prisma Migrate would create for it (tables, columns
with their types/nullability/defaults, primary keys, unique and plain indexes, foreign keys, enums) using
Prisma's own conventions: ``@map``/``@@map``/``@@schema`` names, the default native types, and default
constraint names ``<table>_<columns>_pkey/_key/_idx/_fkey``. Each expected object is then looked up in
the catalog, and every catalog object nothing claimed is reported too. See :mod:`.rules` for what each
finding means to Prisma Migrate (``drift``) or why it is ``expected``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg
from pydantic import BaseModel, ConfigDict

from bhq_migrate.catalog import Catalog, Column, Constraint, Index, Part, read_catalog
from bhq_migrate.errors import PrismaSchemaError
from bhq_migrate.findings import Finding
from bhq_migrate.prisma.rules import (
    COLUMN_MISSING_IN_PRISMA,
    DEFAULT_MISMATCH,
    FIELD_MISSING_IN_DATABASE,
    FOREIGN_KEY_DIFFERS,
    INDEX_IS_PARTIAL_IN_DATABASE,
    INDEX_NOT_IN_DATABASE,
    MODEL_MISSING_IN_DATABASE,
    NAME_DIFFERS,
    NOT_EXPRESSIBLE,
    NULLABILITY_MISMATCH,
    TYPE_MISMATCH,
    UNIQUE_NOT_IN_DATABASE,
    UNKNOWN_TO_PRISMA,
    Classification,
    PrismaRule,
)
from bhq_migrate.prisma_schema.parser import (
    SCALAR_TYPES,
    Attribute,
    Constant,
    Field,
    FunctionCall,
    Model,
    ObjectValue,
    PrismaSchema,
    Value,
    load_schema,
)

PRISMA_MIGRATIONS_TABLE = "_prisma_migrations"
MAX_IDENTIFIER_LENGTH = 63

# Prisma's PostgreSQL column type for each scalar type without a @db.* attribute.
DEFAULT_NATIVE_TYPES = {
    "String": "text",
    "Boolean": "boolean",
    "Int": "integer",
    "BigInt": "bigint",
    "Float": "double precision",
    "Decimal": "numeric(65,30)",
    "DateTime": "timestamp(3) without time zone",
    "Json": "jsonb",
    "Bytes": "bytea",
}
# @db.<Name> -> PostgreSQL type; {0}, {1} are the attribute's arguments; the tuple holds defaults.
NATIVE_TYPES: dict[str, tuple[str, tuple[int, ...]]] = {
    "Text": ("text", ()),
    "Char": ("character({0})", (1,)),
    "VarChar": ("character varying({0})", ()),
    "Bit": ("bit({0})", (1,)),
    "VarBit": ("bit varying({0})", ()),
    "Uuid": ("uuid", ()),
    "Xml": ("xml", ()),
    "Inet": ("inet", ()),
    "Citext": ("citext", ()),
    "Boolean": ("boolean", ()),
    "Integer": ("integer", ()),
    "SmallInt": ("smallint", ()),
    "Oid": ("oid", ()),
    "BigInt": ("bigint", ()),
    "DoublePrecision": ("double precision", ()),
    "Real": ("real", ()),
    "Decimal": ("numeric({0},{1})", (65, 30)),
    "Money": ("money", ()),
    "Timestamp": ("timestamp({0}) without time zone", (6,)),
    "Timestamptz": ("timestamp({0}) with time zone", (6,)),
    "Date": ("date", ()),
    "Time": ("time({0}) without time zone", (6,)),
    "Timetz": ("time({0}) with time zone", (6,)),
    "Json": ("json", ()),
    "JsonB": ("jsonb", ()),
    "ByteA": ("bytea", ()),
}
# format_type() leaves out the default precision; Prisma spells it. Normalise the database side.
_IMPLICIT_PRECISION = {
    "timestamp without time zone": "timestamp(6) without time zone",
    "timestamp with time zone": "timestamp(6) with time zone",
    "time without time zone": "time(6) without time zone",
    "time with time zone": "time(6) with time zone",
}
_FK_ACTIONS = {
    "no action": "NoAction", "restrict": "Restrict", "cascade": "Cascade", "set null": "SetNull",
    "set default": "SetDefault",
}

CATALOG_PARTS = Part.COLUMNS | Part.INDEXES | Part.CONSTRAINTS | Part.ENUMS
"""What audit-prisma reads from the shared catalog."""
_CLIENT_SIDE_DEFAULTS = {"uuid", "cuid", "nanoid", "ulid", "auto"}


class PrismaFinding(Finding):
    """A finding with what it means to Prisma Migrate and the database object it is about."""

    classification: Classification
    subject: str


class AuditReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    schema_path: str
    schemas: tuple[str, ...]
    findings: tuple[PrismaFinding, ...]

    @property
    def drift(self) -> tuple[PrismaFinding, ...]:
        return tuple(f for f in self.findings if f.classification is Classification.DRIFT)

    @property
    def expected(self) -> tuple[PrismaFinding, ...]:
        return tuple(f for f in self.findings if f.classification is Classification.EXPECTED)

    @property
    def in_sync(self) -> bool:
        """True when nothing would make Prisma Migrate change the database."""
        return not self.drift


# ---------------------------------------------------------------------------------------------------
# The database Prisma expects
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExpectedColumn:
    field: Field
    name: str
    data_type: str | None  # None: not compared (Unsupported, @ignore)
    nullable: bool
    default: tuple[str, object] | None  # ("sequence"|"now"|"literal"|"expression", value)


@dataclass(frozen=True)
class ExpectedIndex:
    kind: str  # "primary" | "unique" | "index"
    columns: tuple[str, ...]
    descending: tuple[bool, ...]
    name: str
    where: str | None  # a partial index's predicate (partialIndexes preview), "" for the object form
    label: str
    line: int
    column: int


@dataclass(frozen=True)
class ExpectedForeignKey:
    columns: tuple[str, ...]
    referenced_schema: str
    referenced_table: str
    referenced_columns: tuple[str, ...]
    on_delete: str
    on_update: str
    name: str
    label: str
    line: int
    column: int


@dataclass(frozen=True)
class ExpectedTable:
    model: Model
    schema: str
    name: str
    columns: tuple[ExpectedColumn, ...]
    indexes: tuple[ExpectedIndex, ...]
    foreign_keys: tuple[ExpectedForeignKey, ...]

    @property
    def qualified(self) -> str:
        return f'{self.schema}."{self.name}"'


def _string(value: Value | None) -> str | None:
    return value if isinstance(value, str) else None


def _db_name(attributes: Iterable[Attribute], fallback: str) -> str:
    mapped = next((attr for attr in attributes if attr.name == "map"), None)
    name = _string(mapped.positional()) if mapped else None
    return name or fallback


def constraint_name(table: str, columns: Sequence[str], suffix: str) -> str:
    """Prisma's default name, cut like Prisma cuts it so it fits PostgreSQL's 63-byte identifiers."""
    prefix = "_".join([table, *columns]) if columns else table
    return prefix[: MAX_IDENTIFIER_LENGTH - len(suffix) - 1] + "_" + suffix


class _Expectations:
    """Builds :class:`ExpectedTable` for every model, resolving field names to column names."""

    def __init__(self, schema: PrismaSchema, default_schema: str) -> None:
        self.schema = schema
        self.default_schema = default_schema
        self.models = {model.name: model for model in schema.models}
        self.enum_names = {enum.name: _db_name(enum.attributes, enum.name) for enum in schema.enums}

    def table_of(self, model: Model) -> tuple[str, str]:
        schema_attribute = model.attribute("schema")
        schema_name = _string(schema_attribute.positional()) if schema_attribute else None
        mapped = model.attribute("map")
        table = _string(mapped.positional()) if mapped else None
        return schema_name or self.default_schema, table or model.name

    def column_of(self, model: Model, field_name: str, where: Attribute | Field) -> str:
        fld = model.field(field_name)
        if fld is None:
            raise PrismaSchemaError(
                f"{self.schema.path}:{where.line}:{where.column}: {model.name} has no field {field_name!r}"
            )
        return _db_name(fld.attributes, fld.name)

    def is_relation(self, fld: Field) -> bool:
        return fld.type_name in self.models

    def build(self) -> list[ExpectedTable]:
        return [
            self.table(model)
            for model in self.schema.models
            if model.attribute("ignore") is None
        ]

    def table(self, model: Model) -> ExpectedTable:
        schema_name, table = self.table_of(model)
        columns = tuple(
            self.column(model, fld)
            for fld in model.fields
            if not self.is_relation(fld) and fld.type_name in SCALAR_TYPES | set(self.enum_names)
        )
        return ExpectedTable(
            model=model,
            schema=schema_name,
            name=table,
            columns=columns,
            indexes=tuple(self.indexes(model, table)),
            foreign_keys=tuple(self.foreign_keys(model, table)),
        )

    def column(self, model: Model, fld: Field) -> ExpectedColumn:
        ignored = fld.attribute("ignore") is not None
        return ExpectedColumn(
            field=fld,
            name=_db_name(fld.attributes, fld.name),
            data_type=None if ignored else self.data_type(fld),
            nullable=fld.optional or fld.is_list,
            default=None if ignored else _expected_default(fld),
        )

    def data_type(self, fld: Field) -> str | None:
        if fld.type_name == "Unsupported":
            return None
        if fld.type_name in self.enum_names:
            base = f"enum {self.enum_names[fld.type_name]}"
        else:
            native = fld.native_type()
            base = DEFAULT_NATIVE_TYPES[fld.type_name] if native is None else _native_type(native, self.schema.path)
        return base + "[]" if fld.is_list else base

    def _field_list(self, model: Model, attribute: Attribute, value: Value | None) -> tuple[
        tuple[str, ...], tuple[bool, ...]
    ]:
        items = value if isinstance(value, tuple) else ()
        columns: list[str] = []
        descending: list[bool] = []
        for item in items:
            if isinstance(item, Constant):
                columns.append(self.column_of(model, item.name, attribute))
                descending.append(False)
            elif isinstance(item, FunctionCall):  # createdAt(sort: Desc)
                columns.append(self.column_of(model, item.name, attribute))
                sort = item.named("sort")
                descending.append(isinstance(sort, Constant) and sort.name == "Desc")
        if not columns:
            raise PrismaSchemaError(
                f"{self.schema.path}:{attribute.line}:{attribute.column}: @@{attribute.name} needs a list of fields"
            )
        return tuple(columns), tuple(descending)

    def indexes(self, model: Model, table: str) -> Iterable[ExpectedIndex]:
        for fld in model.fields:
            column = _db_name(fld.attributes, fld.name)
            for kind, attribute_name, suffix in (("primary", "id", "pkey"), ("unique", "unique", "key")):
                attribute = fld.attribute(attribute_name)
                if attribute is None:
                    continue
                sort = attribute.named("sort")
                name = _string(attribute.named("map")) or constraint_name(
                    table, [] if kind == "primary" else [column], suffix
                )
                yield ExpectedIndex(
                    kind, (column,), (isinstance(sort, Constant) and sort.name == "Desc",), name, None,
                    f"@{attribute_name} on {model.name}.{fld.name}", attribute.line, attribute.column,
                )
        for attribute in model.attributes:
            if attribute.name not in {"id", "unique", "index"}:
                continue
            kind = {"id": "primary", "unique": "unique", "index": "index"}[attribute.name]
            columns, descending = self._field_list(model, attribute, attribute.argument("fields"))
            suffix = {"primary": "pkey", "unique": "key", "index": "idx"}[kind]
            mapped = _string(attribute.named("map"))
            if kind == "index" and mapped is None:
                mapped = _string(attribute.named("name"))  # Prisma 2's spelling of map: on @@index
            name = mapped or constraint_name(table, [] if kind == "primary" else list(columns), suffix)
            yield ExpectedIndex(
                kind, columns, descending, name, _where(attribute.named("where")),
                f"@@{attribute.name}([{', '.join(_field_names(attribute.argument('fields')))}]) on {model.name}",
                attribute.line, attribute.column,
            )

    def foreign_keys(self, model: Model, table: str) -> Iterable[ExpectedForeignKey]:
        if _string(self.schema.datasources[0].get("relationMode") if self.schema.datasources else None) == "prisma":
            return  # relationMode = "prisma": Prisma emulates relations and creates no foreign keys
        for fld in model.fields:
            relation = fld.attribute("relation")
            if relation is None or not self.is_relation(fld) or relation.named("fields") is None:
                continue
            target = self.models[fld.type_name]
            columns, _ = self._field_list(model, relation, relation.named("fields"))
            referenced, _ = self._field_list(target, relation, relation.named("references"))
            ref_schema, ref_table = self.table_of(target)
            optional = any((model.field(name) or fld).optional for name in _field_names(relation.named("fields")))
            on_delete = relation.named("onDelete")
            on_update = relation.named("onUpdate")
            yield ExpectedForeignKey(
                columns=columns,
                referenced_schema=ref_schema,
                referenced_table=ref_table,
                referenced_columns=referenced,
                on_delete=(
                    on_delete.name if isinstance(on_delete, Constant) else ("SetNull" if optional else "Restrict")
                ),
                on_update=on_update.name if isinstance(on_update, Constant) else "Cascade",
                name=_string(relation.named("map")) or constraint_name(table, list(columns), "fkey"),
                label=f"@relation {model.name}.{fld.name}",
                line=relation.line,
                column=relation.column,
            )


def _field_names(value: Value | None) -> list[str]:
    """Field references as written: ``createdAt`` or ``createdAt(sort: Desc)``."""
    items = value if isinstance(value, tuple) else ()
    names: list[str] = []
    for item in items:
        if isinstance(item, Constant):
            names.append(item.name)
        elif isinstance(item, FunctionCall):
            arguments = ", ".join(
                f"{arg.name}: {arg.value.name if isinstance(arg.value, Constant) else arg.value}"
                for arg in item.arguments
            )
            names.append(f"{item.name}({arguments})")
    return names


def _where(value: Value | None) -> str | None:
    if isinstance(value, FunctionCall) and value.name == "raw":
        raw = value.arguments[0].value if value.arguments else ""
        return raw if isinstance(raw, str) else ""
    if isinstance(value, ObjectValue):
        return ""  # the object form: a partial index whose predicate is not compared
    return None


def _native_type(attribute: Attribute, path: str) -> str:
    name = attribute.name.removeprefix("db.")
    if name not in NATIVE_TYPES:
        raise PrismaSchemaError(f"{path}:{attribute.line}:{attribute.column}: unknown native type @db.{name}")
    template, defaults = NATIVE_TYPES[name]
    arguments = [arg.value for arg in attribute.arguments]
    if "{0}" in template and not arguments and not defaults:
        return template.split("(")[0]  # @db.VarChar without a length
    values = [*arguments, *defaults[len(arguments):]]
    return template.format(*values)


def _expected_default(fld: Field) -> tuple[str, object] | None:
    attribute = fld.attribute("default")
    if attribute is None:
        return None
    value = attribute.positional()
    if isinstance(value, FunctionCall):
        if value.name == "autoincrement":
            return ("sequence", None)
        if value.name == "now":
            return ("now", None)
        if value.name == "dbgenerated":
            text = value.arguments[0].value if value.arguments else None
            return ("expression", text if isinstance(text, str) else None)
        if value.name in _CLIENT_SIDE_DEFAULTS:
            return None  # generated by Prisma Client, not by the database
        return ("expression", None)
    if isinstance(value, Constant):
        return ("literal", value.name)  # an enum value
    if isinstance(value, tuple):
        return ("expression", None)  # a list default: compared for presence only
    return ("literal", value)


_STRING_DEFAULT = re.compile(r"^'((?:[^']|'')*)'(?:::[\w\s\".\[\]()]+)?$")
_NUMBER_DEFAULT = re.compile(r"^\(?(-?\d+(?:\.\d+)?)\)?(?:::[\w\s\".()]+)?$")


def database_default(column: Column) -> tuple[str, object] | None:
    """The column's DEFAULT in the vocabulary of :func:`_expected_default`."""
    if column.identity is not None:
        return ("sequence", None)
    expression = column.default
    if expression is None or column.generated is not None:
        return None
    lowered = expression.lower()
    if lowered.startswith("nextval("):
        return ("sequence", None)
    if lowered in {"now()", "current_timestamp", "current_timestamp(3)", "current_timestamp(6)"}:
        return ("now", None)
    if lowered in {"true", "false"}:
        return ("literal", lowered == "true")
    string = _STRING_DEFAULT.match(expression)
    if string:
        return ("literal", string.group(1).replace("''", "'"))
    number = _NUMBER_DEFAULT.match(expression)
    if number:
        text = number.group(1)
        return ("literal", float(text) if "." in text else int(text))
    return ("expression", expression)


def _defaults_match(expected: tuple[str, object] | None, actual: tuple[str, object] | None) -> bool:
    if expected is None or actual is None:
        return expected is None and actual is None
    if expected[0] == "expression":
        return expected[1] is None or _normalise_sql(str(expected[1])) == _normalise_sql(str(actual[1]))
    if expected[0] != actual[0]:
        return False
    if expected[0] != "literal":
        return True
    want, have = expected[1], actual[1]
    if isinstance(want, bool) or isinstance(have, bool):
        return want == have
    if isinstance(want, (int, float)) and isinstance(have, (int, float, str)):
        try:
            return float(want) == float(have)
        except ValueError:
            return False
    return str(want) == str(have)


def _render_default(default: tuple[str, object] | None) -> str:
    if default is None:
        return "no default"
    kind, value = default
    if kind == "sequence":
        return "autoincrement() (a sequence)"
    if kind == "now":
        return "now()"
    if kind == "literal":
        return f"DEFAULT {value!r}".replace("True", "true").replace("False", "false")
    return f"DEFAULT {value}" if value else "a database-generated default"


def _normalise_sql(text: str) -> str:
    """Loose comparison of predicates/expressions: no quotes, casts, parentheses, spacing or case."""
    text = re.sub(r"::[a-z ]+(\[\])?", "", text.lower())
    return re.sub(r"[\s()\"]", "", text)


def _normalise_type(column: Column) -> str:
    if column.enum_name is not None:
        return f"enum {column.enum_name}" + ("[]" if column.is_array else "")
    base = column.type.removesuffix("[]")
    base = _IMPLICIT_PRECISION.get(base, base)
    base = base.replace(", ", ",")
    return base + ("[]" if column.type.endswith("[]") else "")


# ---------------------------------------------------------------------------------------------------
# The comparison
# ---------------------------------------------------------------------------------------------------


class _Auditor:
    def __init__(self, schema: PrismaSchema, catalog: Catalog, default_schema: str) -> None:
        self.schema = schema
        self.catalog = catalog
        self.default_schema = default_schema
        self.findings: list[PrismaFinding] = []
        generators = schema.generators
        features = generators[0].get("previewFeatures") if generators else None
        self.partial_indexes_supported = isinstance(features, tuple) and "partialIndexes" in features

    def report(self, rule: PrismaRule, line: int, column: int, subject: str, message: str, help_text: str = "") -> None:
        self.findings.append(
            PrismaFinding(
                file=self.schema.path,
                line=line,
                column=column,
                rule=rule.id,
                severity=rule.severity,
                message=message,
                help=help_text or rule.fix,
                classification=rule.classification,
                subject=subject,
            )
        )

    def run(self) -> list[PrismaFinding]:
        expectations = _Expectations(self.schema, self.default_schema)
        expected_tables = expectations.build()
        # Partitions belong to their parent table: Prisma models the parent only.
        db_tables = {key for key, table in self.catalog.tables.items() if not table.is_partition}
        # A model with @@ignore still owns its table: Prisma keeps it, so it is not "unknown".
        claimed: set[tuple[str, str]] = {
            expectations.table_of(model) for model in self.schema.models if model.attribute("ignore") is not None
        }
        for table in expected_tables:
            key = (table.schema, table.name)
            if key not in db_tables:
                self.report(
                    MODEL_MISSING_IN_DATABASE, table.model.line, table.model.column, table.qualified,
                    f"model {table.model.name} expects table {table.qualified}; the database has no such table",
                )
                continue
            claimed.add(key)
            self.columns(table)
            used_indexes = self.indexes(table)
            used_constraints = self.foreign_keys(table)
            self.leftovers(table, used_indexes, used_constraints)
        self.enums(expectations)
        for schema_name, table_name in sorted(db_tables - claimed):
            if table_name == PRISMA_MIGRATIONS_TABLE:
                continue
            self.report(
                UNKNOWN_TO_PRISMA, 1, 1, f'{schema_name}."{table_name}"',
                f'table {schema_name}."{table_name}" has no model in schema.prisma',
            )
            self.leftovers_of_unmodelled_table(schema_name, table_name)
        return sorted(self.findings, key=lambda f: (f.line, f.column, f.rule, f.subject))

    # -- columns ------------------------------------------------------------------------------------

    def columns(self, table: ExpectedTable) -> None:
        key = (table.schema, table.name)
        live = self.catalog.tables.get(key)
        actual: dict[str, Column] = dict(live.columns) if live is not None and not live.is_partition else {}
        model = table.model
        for expected in table.columns:
            fld = expected.field
            where = f"{model.name}.{fld.name}"
            subject = f'{table.qualified}."{expected.name}"'
            column = actual.get(expected.name)
            if column is None:
                self.report(
                    FIELD_MISSING_IN_DATABASE, fld.line, fld.column, subject,
                    f"{where} expects column {subject}; the table has no such column",
                )
                continue
            if expected.data_type is not None and expected.data_type != _normalise_type(column):
                self.report(
                    TYPE_MISMATCH, fld.line, fld.column, subject,
                    f"{where}: Prisma expects {expected.data_type}; the column is {column.type}",
                )
            if not fld.is_list and expected.nullable == column.not_null:
                want = "optional (NULL allowed)" if expected.nullable else "required (NOT NULL)"
                have = "NOT NULL" if column.not_null else "nullable"
                self.report(
                    NULLABILITY_MISMATCH, fld.line, fld.column, subject,
                    f"{where} is {want}; the column is {have}",
                )
            if expected.data_type is not None:
                have_default = database_default(column)
                if not _defaults_match(expected.default, have_default):
                    self.report(
                        DEFAULT_MISMATCH, fld.line, fld.column, subject,
                        f"{where}: Prisma expects {_render_default(expected.default)}; the column has "
                        f"{_render_default(have_default)}",
                    )
        known = {c.name for c in table.columns}
        for name, column in actual.items():
            if name not in known:
                subject = f'{table.qualified}."{name}"'
                self.report(
                    COLUMN_MISSING_IN_PRISMA, model.line, model.column, subject,
                    f"column {subject} ({column.type}) has no field in model {model.name}",
                )

    # -- indexes ------------------------------------------------------------------------------------

    def indexes(self, table: ExpectedTable) -> set[str]:
        """Match every expected key/index; return the names of the database indexes it accounted for."""
        candidates = list(self.catalog.indexes_by_table.get((table.schema, table.name), ()))
        used: set[str] = set()
        for expected in table.indexes:
            matched = self.match_index(table, expected, [i for i in candidates if i.name not in used])
            if matched is not None:
                used.add(matched.name)
        return used

    def match_index(self, table: ExpectedTable, expected: ExpectedIndex, candidates: list[Index]) -> Index | None:
        def same_shape(index: Index) -> bool:
            if index.has_expressions or index.key_columns != expected.columns:
                return False
            if expected.kind == "primary":
                return index.primary
            return index.unique == (expected.kind == "unique") and not index.primary

        shaped = [i for i in candidates if same_shape(i)]
        if expected.where is not None:
            full = [i for i in shaped if i.predicate is not None and (
                expected.where == "" or _normalise_sql(expected.where) == _normalise_sql(i.predicate)
            )]
        else:
            full = [i for i in shaped if i.predicate is None]
        partial = [i for i in shaped if i.predicate is not None and i not in full]
        subject = f'{table.qualified} index "{expected.name}"'
        columns = ", ".join(f'"{c}"' for c in expected.columns)
        if full:
            index = next((i for i in full if i.name == expected.name), full[0])
            if index.name != expected.name:
                self.report(
                    NAME_DIFFERS, expected.line, expected.column, f'{table.qualified} index "{index.name}"',
                    f'{expected.label}: Prisma expects the name "{expected.name}"; the database calls it '
                    f'"{index.name}"',
                    f'Add map: "{index.name}" to the attribute.',
                )
            if tuple(key.descending for key in index.keys) != expected.descending:
                self.report(
                    INDEX_NOT_IN_DATABASE if expected.kind == "index" else UNIQUE_NOT_IN_DATABASE,
                    expected.line, expected.column, subject,
                    f'{expected.label}: sort order differs from "{index.name}" ({index.definition})',
                )
            return index
        if partial:
            index = partial[0]
            self.report(
                INDEX_IS_PARTIAL_IN_DATABASE, expected.line, expected.column,
                f'{table.qualified} index "{index.name}"',
                f'{expected.label} declares a full {"unique " if expected.kind == "unique" else ""}index on '
                f'({columns}); the database has the partial index "{index.name}" WHERE {index.predicate}',
            )
            return index
        rule = INDEX_NOT_IN_DATABASE if expected.kind == "index" else UNIQUE_NOT_IN_DATABASE
        what = {"primary": "primary key", "unique": "unique index", "index": "index"}[expected.kind]
        self.report(
            rule, expected.line, expected.column, subject,
            f'{expected.label} declares {what} "{expected.name}" on {table.qualified}({columns}); '
            "the database has none",
        )
        return None

    # -- foreign keys -------------------------------------------------------------------------------

    def foreign_keys(self, table: ExpectedTable) -> set[str]:
        candidates = [c for c in self.catalog.constraints_by_table.get((table.schema, table.name), ()) if c.type == "f"]
        used: set[str] = set()
        for expected in table.foreign_keys:
            subject = f'{table.qualified} foreign key "{expected.name}"'
            match = next(
                (
                    c for c in candidates
                    if c.name not in used
                    and c.columns == expected.columns
                    and c.ref_table == (expected.referenced_schema, expected.referenced_table)
                    and c.ref_columns == expected.referenced_columns
                ),
                None,
            )
            if match is None:
                self.report(
                    FOREIGN_KEY_DIFFERS, expected.line, expected.column, subject,
                    f'{expected.label} expects foreign key "{expected.name}"; the database has none',
                )
                continue
            used.add(match.name)
            on_delete = _FK_ACTIONS.get(match.on_delete or "no action", "NoAction")
            on_update = _FK_ACTIONS.get(match.on_update or "no action", "NoAction")
            if (on_delete, on_update) != (expected.on_delete, expected.on_update):
                self.report(
                    FOREIGN_KEY_DIFFERS, expected.line, expected.column, subject,
                    f"{expected.label}: Prisma expects onDelete: {expected.on_delete}, onUpdate: {expected.on_update}; "
                    f'"{match.name}" has onDelete: {on_delete}, onUpdate: {on_update}',
                    f"Write onDelete: {on_delete}, onUpdate: {on_update} on the @relation, or change the constraint.",
                )
            if match.name != expected.name:
                self.report(
                    NAME_DIFFERS, expected.line, expected.column,
                    f'{table.qualified} foreign key "{match.name}"',
                    f'{expected.label}: Prisma expects the name "{expected.name}"; the database calls it '
                    f'"{match.name}"',
                    f'Add map: "{match.name}" to the @relation.',
                )
        return used

    # -- what nothing in schema.prisma accounts for -------------------------------------------------

    def leftovers(self, table: ExpectedTable, used_indexes: set[str], used_constraints: set[str]) -> None:
        model = table.model
        self._unclaimed(table.schema, table.name, used_indexes, used_constraints, model.line, model.column)

    def leftovers_of_unmodelled_table(self, schema_name: str, table_name: str) -> None:
        self._unclaimed(schema_name, table_name, set(), set(), 1, 1)

    def _unclaimed(
        self,
        schema_name: str,
        table_name: str,
        used_indexes: set[str],
        used_constraints: set[str],
        line: int,
        column: int,
    ) -> None:
        qualified = f'{schema_name}."{table_name}"'
        for index in self.catalog.indexes_by_table.get((schema_name, table_name), ()):
            if index.name in used_indexes:
                continue
            if index.constraint_type == "x":
                continue  # reported with the constraints below
            subject = f'{qualified} index "{index.name}"'
            if index.has_expressions or (index.predicate is not None and not self.partial_indexes_supported):
                why = "an expression index" if index.has_expressions else f"a partial index (WHERE {index.predicate})"
                self.report(
                    NOT_EXPRESSIBLE, line, column, subject,
                    f'"{index.name}" is {why}; Prisma cannot express it and leaves it alone',
                )
            else:
                kind = "primary key" if index.primary else ("unique index" if index.unique else "index")
                self.report(
                    UNKNOWN_TO_PRISMA, line, column, subject,
                    f'{kind} "{index.name}" ({index.definition.split(" USING ")[-1]}) is not declared in '
                    "schema.prisma; the next migrate dev drops it",
                )
        for constraint in _not_index_backed(self.catalog.constraints_by_table.get((schema_name, table_name), ())):
            if constraint.name in used_constraints:
                continue
            subject = f'{qualified} constraint "{constraint.name}"'
            if constraint.type in {"c", "x"}:
                kind = "CHECK constraint" if constraint.type == "c" else "exclusion constraint"
                self.report(
                    NOT_EXPRESSIBLE, line, column, subject,
                    f'{kind} "{constraint.name}": {constraint.definition}; Prisma cannot express it and '
                    "leaves it alone",
                )
            else:
                self.report(
                    UNKNOWN_TO_PRISMA, line, column, subject,
                    f'foreign key "{constraint.name}" ({constraint.definition}) has no @relation in '
                    "schema.prisma; the next migrate dev drops it",
                    "Declare the relation (both sides) in schema.prisma, or drop the constraint in a plan.",
                )

    # -- enums --------------------------------------------------------------------------------------

    def enums(self, expectations: _Expectations) -> None:
        in_db = self.catalog.enums
        for enum in self.schema.enums:
            schema_attribute = enum.attribute("schema")
            schema_name = _string(schema_attribute.positional()) if schema_attribute else None
            key = (schema_name or self.default_schema, expectations.enum_names[enum.name])
            values = tuple(_db_name(value.attributes, value.name) for value in enum.values)
            found = in_db.get(key)
            subject = f'{key[0]}."{key[1]}"'
            if found is None:
                self.report(
                    TYPE_MISMATCH, enum.line, enum.column, subject,
                    f"enum {enum.name} expects type {subject}; the database has no such enum type",
                )
            elif tuple(found.labels) != values:
                self.report(
                    TYPE_MISMATCH, enum.line, enum.column, subject,
                    f"enum {enum.name} has values {list(values)}; the database type has {list(found.labels)}",
                )


def _not_index_backed(constraints: tuple[Constraint, ...]) -> list[Constraint]:
    """CHECK, FOREIGN KEY and EXCLUDE constraints: primary keys and uniques are audited with their indexes."""
    return [c for c in constraints if c.type in {"c", "f", "x"}]


def schemas_to_audit(schema: PrismaSchema, default_schema: str = "public") -> tuple[str, ...]:
    """The datasource's ``schemas`` list, or the one default schema."""
    return schema.datasource_schemas or (default_schema,)


def audit_catalog(schema: PrismaSchema, catalog: Catalog, default_schema: str = "public") -> AuditReport:
    """Compare a parsed schema with a catalog snapshot (pure: no database access)."""
    findings = _Auditor(schema, catalog, default_schema).run()
    return AuditReport(
        schema_path=schema.path, schemas=schemas_to_audit(schema, default_schema), findings=tuple(findings)
    )


def audit(conn: psycopg.Connection, schema: PrismaSchema, default_schema: str = "public") -> AuditReport:
    """Read the catalog of the schemas schema.prisma uses, in a read-only transaction, and compare."""
    schemas = schemas_to_audit(schema, default_schema)
    with conn.transaction():
        conn.execute("SET TRANSACTION READ ONLY")
        catalog = read_catalog(conn, CATALOG_PARTS, schemas=schemas)
    return audit_catalog(schema, catalog, default_schema)


def audit_file(conn: psycopg.Connection, path: Path, default_schema: str = "public") -> AuditReport:
    return audit(conn, load_schema(path), default_schema)
