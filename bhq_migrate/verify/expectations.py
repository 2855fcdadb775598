"""Declared expectations: ``checks/NNN_slug.toml``, one file per plan, loaded into pydantic models.

A file describes the state its plan promises, table by table::

    plan = "001"
    schemas = ["marketplace"]                       # has_schema

    [tables."Invoice"]                              # has_table ("public." is implied)
    columns.amountCents = { type = "bigint", nullable = false }
    absent_indexes = ["Contact_marketplaceUserId_idx"]

    [tables."Invoice".indexes.Invoice_deletedAt_idx]
    columns = ["deletedAt"]                         # in order; "createdAt DESC", "lower(email)"
    where = '"deletedAt" IS NULL'                   # omitted: the index must not be partial
    unique = false
    method = "btree"

    [tables."marketplace.users".checks.users_status_check]
    column = "status"
    values = ["active", "suspended", "banned"]      # or: expression = "total_cents >= 0"

    [tables."marketplace.providers".foreign_keys.providers_user_id_fkey]
    columns = ["user_id"]
    references = "marketplace.users"
    ref_columns = ["id"]
    on_delete = "cascade"

    [tables."marketplace.users".unique.users_email_key]
    columns = ["email"]

Each file expands into atomic :class:`Expectation` s named like pgTAP assertions (``col_type_is``,
``index_is_partial``, ``fk_on_delete_is`` ...). Every expectation has a *subject* and an *attribute*:
when several checked plans declare the same (subject, attribute), the latest plan's wins, so plan 003
can say that a column 002 created NOT NULL is nullable now.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bhq_migrate.compat import tomllib
from bhq_migrate.errors import ConfigError
from bhq_migrate.verify.expressions import ExpressionError, canonical, canonical_type

QName = tuple[str, str]
"""(schema, name) of a table or index."""

FkAction = Literal["no action", "restrict", "cascade", "set null", "set default"]
CHECKS_FILENAME = re.compile(r"^(?P<id>\d{3,})_[a-z0-9_]+\.toml$")


def parse_qname(text: str, default_schema: str = "public") -> QName:
    """``"Invoice"`` -> ("public", "Invoice"); ``"marketplace.users"`` -> ("marketplace", "users")."""
    schema, dot, name = text.partition(".")
    return (schema, name) if dot else (default_schema, schema)


def _must_parse(expression: str) -> str:
    """Validators raise ValueError so that pydantic reports the key path of a bad expression."""
    try:
        canonical(expression)
    except ExpressionError as exc:
        raise ValueError(f"not a valid SQL expression: {expression!r}: {exc}") from None
    return expression


def show(qname: QName) -> str:
    return f"{qname[0]}.{qname[1]}"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ColumnSpec(_Strict):
    type: str | None = None
    nullable: bool | None = None
    default: str | None = None
    """An SQL expression, compared by meaning (``'manual'`` matches ``'manual'::character varying``)."""

    @field_validator("type")
    @classmethod
    def _type_parses(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return canonical_type(value)
        except ExpressionError as exc:
            raise ValueError(f"not a valid type: {value!r}: {exc}") from None

    @field_validator("default")
    @classmethod
    def _default_parses(cls, value: str | None) -> str | None:
        return None if value is None else _must_parse(value)


class IndexKey(_Strict):
    """One key column of an index: a column name or an expression, with its sort order."""

    column: str | None = None
    expression: str | None = None
    descending: bool = False
    nulls_first: bool = False

    def matches(self, other: IndexKey) -> bool:
        if (self.descending, self.nulls_first) != (other.descending, other.nulls_first):
            return False
        if self.column is not None or other.column is not None:
            return self.column == other.column
        return self.expression is not None and other.expression is not None and (
            canonical(self.expression) == canonical(other.expression)
        )

    def render(self) -> str:
        body = _quote(self.column) if self.column is not None else f"({self.expression})"
        if self.descending:
            body += " DESC"
            if not self.nulls_first:
                body += " NULLS LAST"
        elif self.nulls_first:
            body += " NULLS FIRST"
        return body


_INDEX_KEY = re.compile(r"^(?P<body>.+?)(?:\s+(?P<dir>asc|desc))?(?:\s+nulls\s+(?P<nulls>first|last))?\s*$", re.I)
_BARE_NAME = re.compile(r'^(?:[^\s()"]+|"(?:[^"]|"")+")$')


def parse_index_key(text: str) -> IndexKey:
    match = _INDEX_KEY.match(text.strip())
    if not match:
        raise ValueError(f"empty index key {text!r}")
    body = match["body"].strip()
    descending = (match["dir"] or "").lower() == "desc"
    nulls_first = descending if match["nulls"] is None else match["nulls"].lower() == "first"
    if _BARE_NAME.match(body):
        name = body[1:-1].replace('""', '"') if body.startswith('"') else body
        return IndexKey(column=name, descending=descending, nulls_first=nulls_first)
    _must_parse(body)
    return IndexKey(expression=body, descending=descending, nulls_first=nulls_first)


class IndexSpec(_Strict):
    columns: tuple[IndexKey, ...]
    unique: bool = False
    method: str = "btree"
    where: str | None = None
    """The partial-index predicate; omitted means the index must cover every row."""

    @field_validator("columns", mode="before")
    @classmethod
    def _parse_keys(cls, value: Any) -> Any:
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return tuple(parse_index_key(item) for item in value)
        return value

    @field_validator("where")
    @classmethod
    def _where_parses(cls, value: str | None) -> str | None:
        return None if value is None else _must_parse(value)

    @field_validator("method")
    @classmethod
    def _lower_method(cls, value: str) -> str:
        return value.lower()

    @field_validator("columns")
    @classmethod
    def _not_empty(cls, value: tuple[IndexKey, ...]) -> tuple[IndexKey, ...]:
        if not value:
            raise ValueError("an index has at least one key column")
        return value


class CheckSpec(_Strict):
    """A CHECK constraint: either a column's allowed value set, or a whole expression."""

    column: str | None = None
    values: tuple[str, ...] | None = None
    expression: str | None = None

    @field_validator("values", mode="before")
    @classmethod
    def _values_as_text(cls, value: Any) -> Any:
        if isinstance(value, list):
            return tuple(str(item) for item in value)
        return value

    @field_validator("expression")
    @classmethod
    def _expression_parses(cls, value: str | None) -> str | None:
        return None if value is None else _must_parse(value)

    @model_validator(mode="after")
    def _one_shape(self) -> CheckSpec:
        has_set = self.column is not None and self.values is not None
        if has_set == (self.expression is not None):
            raise ValueError("give either column and values, or expression")
        return self


class ForeignKeySpec(_Strict):
    columns: tuple[str, ...]
    references: str
    ref_columns: tuple[str, ...]
    on_delete: FkAction = "no action"
    on_update: FkAction = "no action"

    @field_validator("on_delete", "on_update", mode="before")
    @classmethod
    def _normalise_action(cls, value: Any) -> Any:
        return " ".join(value.replace("_", " ").lower().split()) if isinstance(value, str) else value


class KeySpec(_Strict):
    columns: tuple[str, ...]


class TableSpec(_Strict):
    exists: bool = True
    primary_key: KeySpec | None = None
    columns: dict[str, ColumnSpec] = Field(default_factory=dict)
    indexes: dict[str, IndexSpec] = Field(default_factory=dict)
    absent_indexes: tuple[str, ...] = ()
    checks: dict[str, CheckSpec] = Field(default_factory=dict)
    foreign_keys: dict[str, ForeignKeySpec] = Field(default_factory=dict)
    unique: dict[str, KeySpec] = Field(default_factory=dict)


class ChecksFile(_Strict):
    plan: str
    description: str = ""
    schemas: tuple[str, ...] = ()
    tables: dict[str, TableSpec] = Field(default_factory=dict)


class Expectation(BaseModel):
    """One atomic, pgTAP-style assertion about the live database."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    plan: str
    kind: str
    subject: str
    """What the assertion is about, e.g. ``column public.Invoice.amountCents``."""
    attribute: str
    """Which property of the subject: two plans asserting the same (subject, attribute) -> the later wins."""
    object: str
    """The qualified name shown to people: ``public.Invoice.amountCents``."""
    table: QName | None = None
    name: str = ""
    """The column, index or constraint name (the schema name for has_schema)."""
    expected: Any = None
    source: str = ""
    key_path: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.subject, self.attribute)


def _quote(name: str) -> str:
    if re.fullmatch(r"[a-z_][a-z0-9_$]*", name):
        return name
    return '"' + name.replace('"', '""') + '"'


def quote_qname(qname: QName) -> str:
    return f"{_quote(qname[0])}.{_quote(qname[1])}"


def quote_ident(name: str) -> str:
    return _quote(name)


# --- loading ---------------------------------------------------------------------------------------


def load_checks_file(path: Path) -> ChecksFile:
    """Parse and validate one file; any problem is a ConfigError naming the file and the key path."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not valid UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    try:
        checks = ChecksFile.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = _key_path(error["loc"]) or "<top level>"
        message = error["msg"].removeprefix("Value error, ")
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ConfigError(f"{path}: {where}: {message}{more}") from None
    match = CHECKS_FILENAME.match(path.name)
    if match and match["id"] != checks.plan:
        raise ConfigError(f"{path}: plan: says {checks.plan!r} but the file name says {match['id']!r}")
    return checks


def _key_path(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int):
            parts[-1:] = [f"{parts[-1]}[{part}]"] if parts else [f"[{part}]"]
        elif re.fullmatch(r"[A-Za-z0-9_-]+", part) and parts[-1:] != ["tables"]:
            parts.append(part)  # table keys are always quoted, as in the files: tables."Invoice"
        else:
            parts.append('"' + part + '"')
    return ".".join(parts)


def checks_files(directory: Path) -> dict[str, Path]:
    """Checks files by plan id."""
    if not directory.is_dir():
        state = "is not a directory" if directory.exists() else "does not exist"
        raise ConfigError(f"{directory}: checks directory {state}")
    found: dict[str, Path] = {}
    for path in sorted(directory.glob("*.toml")):
        match = CHECKS_FILENAME.match(path.name)
        if not match:
            raise ConfigError(f"{path}: checks files are named NNN_slug.toml after their plan")
        if match["id"] in found:
            raise ConfigError(f"{directory}: two checks files for plan {match['id']}")
        found[match["id"]] = path
    return found


# --- expansion into atomic expectations -------------------------------------------------------------


def expand(checks: ChecksFile, source: str) -> list[Expectation]:
    """All atomic expectations of one file, in file order."""
    out: list[Expectation] = []

    def add(kind: str, subject: str, attribute: str, obj: str, key_path: str, **extra: Any) -> None:
        out.append(
            Expectation(
                plan=checks.plan, kind=kind, subject=subject, attribute=attribute, object=obj,
                source=source, key_path=key_path, **extra,
            )
        )

    for position, schema in enumerate(checks.schemas):
        add("has_schema", f"schema {schema}", "exists", schema, f"schemas[{position}]", name=schema, expected=True)

    for table_key, table in checks.tables.items():
        qname = parse_qname(table_key)
        tname = show(qname)
        base = f'tables."{table_key}"'
        kind = "has_table" if table.exists else "hasnt_table"
        add(kind, f"table {tname}", "exists", tname, base, table=qname, expected=table.exists)
        if table.primary_key is not None:
            add("col_is_pk", f"table {tname}", "primary key", tname, f"{base}.primary_key",
                table=qname, expected=table.primary_key.columns)

        for column, spec in table.columns.items():
            obj = f"{tname}.{column}"
            subject = f"column {obj}"
            path = f"{base}.columns.{column}"
            add("has_column", subject, "exists", obj, path, table=qname, name=column, expected=True)
            if spec.type is not None:
                add("col_type_is", subject, "type", obj, f"{path}.type", table=qname, name=column, expected=spec.type)
            if spec.nullable is not None:
                add("col_is_null" if spec.nullable else "col_not_null", subject, "nullable", obj,
                    f"{path}.nullable", table=qname, name=column, expected=spec.nullable)
            if spec.default is not None:
                add("col_default_is", subject, "default", obj, f"{path}.default", table=qname, name=column,
                    expected=spec.default)

        for index, ispec in table.indexes.items():
            obj = f"{qname[0]}.{index}"
            subject = f"index {obj}"
            path = f"{base}.indexes.{index}"
            common: dict[str, Any] = {"table": qname, "name": index}
            add("has_index", subject, "exists", obj, path, expected=ispec, **common)
            add("index_is_valid", subject, "valid", obj, path, expected=True, **common)
            # Each index_* check compares one attribute, but carries the whole spec to write the fix SQL.
            written = ispec.model_fields_set  # a defaulted attribute is declared by the index's header

            def at(key: str, path: str = path, written: set[str] = written) -> str:
                return f"{path}.{key}" if key in written else path

            add("index_columns_are", subject, "columns", obj, at("columns"), expected=ispec, **common)
            add("index_is_unique", subject, "unique", obj, at("unique"), expected=ispec, **common)
            add("index_is_type", subject, "method", obj, at("method"), expected=ispec, **common)
            add("index_is_partial", subject, "predicate", obj, at("where"), expected=ispec, **common)

        for position, index in enumerate(table.absent_indexes):
            obj = f"{qname[0]}.{index}"
            add("hasnt_index", f"index {obj}", "exists", obj, f"{base}.absent_indexes[{position}]",
                table=qname, name=index, expected=False)

        for name, cspec in table.checks.items():
            obj = f"{tname}.{name}"
            subject = f"constraint {obj}"
            path = f"{base}.checks.{name}"
            add("has_check", subject, "exists", obj, path, table=qname, name=name, expected=cspec)
            if cspec.expression is not None:
                add("check_expression_is", subject, "definition", obj, f"{path}.expression", table=qname,
                    name=name, expected=cspec)
            else:
                add("check_values_are", subject, "definition", obj, f"{path}.values", table=qname,
                    name=name, expected=cspec)
            add("constraint_is_valid", subject, "validated", obj, path, table=qname, name=name, expected=True)

        for name, fspec in table.foreign_keys.items():
            obj = f"{tname}.{name}"
            subject = f"constraint {obj}"
            path = f"{base}.foreign_keys.{name}"
            add("fk_ok", subject, "exists", obj, path, table=qname, name=name, expected=fspec)
            add("fk_on_delete_is", subject, "on_delete", obj, f"{path}.on_delete", table=qname, name=name,
                expected=fspec)
            add("fk_on_update_is", subject, "on_update", obj, f"{path}.on_update", table=qname, name=name,
                expected=fspec)
            add("constraint_is_valid", subject, "validated", obj, path, table=qname, name=name, expected=True)

        for name, uspec in table.unique.items():
            obj = f"{tname}.{name}"
            add("has_unique", f"constraint {obj}", "exists", obj, f"{base}.unique.{name}", table=qname,
                name=name, expected=uspec.columns)
    return out


def merge(layers: list[list[Expectation]]) -> list[Expectation]:
    """Expectations of several plans, oldest first: a later plan's (subject, attribute) replaces an
    earlier one's in place, so reports keep the order the files were written in."""
    merged: dict[tuple[str, str], Expectation] = {}
    for layer in layers:
        for expectation in layer:
            merged[expectation.key] = expectation
    return list(merged.values())
