"""Column types as the linter compares them: PostgreSQL's internal type name plus its modifiers.

``INTEGER``, ``int``, ``int4`` and ``SERIAL`` all become ``int4``; ``TIMESTAMP`` becomes ``timestamp``;
``VARCHAR(50)`` becomes ``varchar`` with modifiers ``(50,)``. The catalog reader produces the same shape
from ``pg_type.typname``, so types from plans and from a live database compare directly.
"""

from __future__ import annotations

from dataclasses import dataclass

from pglast import ast

from bhq_migrate.catalog import Column

# Spellings that parse to something other than the internal name (pglast keeps SERIAL and friends as written).
_ALIASES = {
    "int": "int4",
    "integer": "int4",
    "serial": "int4",
    "serial4": "int4",
    "bigint": "int8",
    "bigserial": "int8",
    "serial8": "int8",
    "smallint": "int2",
    "smallserial": "int2",
    "serial2": "int2",
    "boolean": "bool",
    "character varying": "varchar",
    "decimal": "numeric",
    "timestamp without time zone": "timestamp",
    "timestamp with time zone": "timestamptz",
    "double precision": "float8",
    "real": "float4",
}
_SERIALS = {"serial", "serial4", "bigserial", "serial8", "smallserial", "serial2"}


@dataclass(frozen=True)
class TypeRef:
    """A column type: ``name`` is the internal name (``int4``), ``modifiers`` e.g. ``(50,)``."""

    name: str
    modifiers: tuple[int, ...] = ()
    serial: bool = False
    is_array: bool = False

    def display(self) -> str:
        shown = {"int4": "INTEGER", "int8": "BIGINT", "int2": "SMALLINT"}.get(self.name, self.name.upper())
        if self.serial:
            shown = {"int4": "SERIAL", "int8": "BIGSERIAL", "int2": "SMALLSERIAL"}[self.name]
        if self.modifiers:
            shown += "(" + ",".join(str(m) for m in self.modifiers) + ")"
        return shown + ("[]" if self.is_array else "")


def normalise_type_name(name: str) -> str:
    lowered = name.lower()
    return _ALIASES.get(lowered, lowered)


def type_from_ast(type_name: ast.TypeName) -> TypeRef:
    """The :class:`TypeRef` of a parsed ``TypeName`` (``pg_catalog.`` prefix dropped)."""
    names = [getattr(part, "sval", "") for part in (type_name.names or ())]
    raw = names[-1] if names else ""
    modifiers: list[int] = []
    for modifier in type_name.typmods or ():
        value = getattr(getattr(modifier, "val", None), "ival", None)
        if isinstance(value, int):
            modifiers.append(value)
    return TypeRef(
        name=normalise_type_name(raw),
        modifiers=tuple(modifiers),
        serial=raw.lower() in _SERIALS,
        is_array=bool(type_name.arrayBounds),
    )


def is_binary_coercible_change(old: TypeRef | None, new: TypeRef) -> bool:
    """True when PostgreSQL changes the type in the catalog only (no rewrite, no index rebuild).

    The cases PostgreSQL documents as needing no rewrite: widening or removing a ``varchar`` length,
    ``varchar`` to ``text``, and raising a ``numeric`` precision with the same scale. Anything else, or an
    unknown old type, counts as a rewrite (the conservative answer).
    """
    if old is None or old.is_array != new.is_array:
        return False
    if old.name in {"varchar", "text"} and new.name == "text":
        return True
    if old.name == "varchar" and new.name == "varchar":
        if not new.modifiers:
            return True
        return bool(old.modifiers) and new.modifiers[0] >= old.modifiers[0]
    if old.name == "numeric" and new.name == "numeric":
        if not new.modifiers:
            return True
        if not old.modifiers:
            return False
        old_scale = old.modifiers[1] if len(old.modifiers) > 1 else 0
        new_scale = new.modifiers[1] if len(new.modifiers) > 1 else 0
        return new.modifiers[0] >= old.modifiers[0] and new_scale == old_scale
    return old.name == new.name and old.modifiers == new.modifiers


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


def type_from_column(column: Column) -> TypeRef:
    """A live column's type (from the shared catalog) in the shape :func:`type_from_ast` gives a plan's."""
    base = column.type_name[1:] if column.is_array and column.type_name.startswith("_") else column.type_name
    return TypeRef(normalise_type_name(base), _modifiers(base, column.type_modifier), is_array=column.is_array)
