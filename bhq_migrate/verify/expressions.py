"""Comparing SQL expressions and type names by meaning, not by text.

PostgreSQL stores a predicate, default or CHECK as a parse tree and renders it back its own way:
``status IN ('a', 'b')`` comes back as ``((status)::text = ANY ((ARRAY['a'::character varying,
'b'::character varying])::text[]))``, ``x BETWEEN 0 AND y`` as ``((x >= 0) AND (x <= y))``. Comparing
those texts reports drift that is not there.

Why not let the server render the expected text? In a READ ONLY transaction nothing can be created, not
even a temporary table, and the server has no function that parses and deparses a free-standing
expression. So both sides go through the same parser PostgreSQL uses (libpg_query via pglast, the
PostgreSQL 15 grammar), and the two parse trees are canonicalised before they are compared:

* locations and redundant parentheses vanish (they are not in the tree);
* casts the server adds on its own to text-like types (``::text``, ``::character varying``,
  ``::text[]``) are dropped, and ``'-1'::integer`` becomes the number ``-1``;
* ``x IN (...)`` and ``x = ANY (ARRAY[...])`` become one "value set" node whose values are a set;
  ``NOT IN`` and ``<> ALL`` likewise;
* ``BETWEEN`` becomes the two comparisons the server stores;
* nested ``AND``/``OR`` are flattened and their operands compared as a set;
* ``pg_catalog.`` qualifications of functions and types are dropped.

The tests (tests/verify/test_expressions.py) feed what PostgreSQL 15 really renders against the source
text written in the plans.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pglast
from pglast import parser as pg_parser

from bhq_migrate.errors import ConfigError

TEXT_LIKE_TYPES = frozenset({"text", "varchar", "bpchar", "name", "char", "character varying"})
NUMERIC_TYPES = frozenset({"int2", "int4", "int8", "numeric", "float4", "float8"})

# format_type() spellings for the parser's internal type names.
_TYPE_NAMES = {
    "int2": "smallint",
    "int4": "integer",
    "int8": "bigint",
    "float4": "real",
    "float8": "double precision",
    "bool": "boolean",
    "varchar": "character varying",
    "bpchar": "character",
    "timestamp": "timestamp without time zone",
    "timestamptz": "timestamp with time zone",
    "time": "time without time zone",
    "timetz": "time with time zone",
    "interval": "interval",
}
_SERIAL_TYPES = {"serial": "integer", "bigserial": "bigint", "smallserial": "smallint"}


@dataclass(frozen=True)
class ValueSet:
    """``column IN (values)`` (``negated`` for ``NOT IN``) pulled out of a CHECK expression."""

    column: str
    values: frozenset[str]
    negated: bool = False


class ExpressionError(ConfigError):
    """An expected expression or type does not parse."""


def _parse_target(sql: str) -> Any:
    # pglast's Python nodes, not parse_sql_json(): libpg_query's JSON output drops negative integers.
    try:
        statements = pglast.parse_sql(sql)
    except pg_parser.ParseError as exc:
        raise ExpressionError(str(exc.args[0])) from None
    if len(statements) != 1 or len(statements[0].stmt.targetList or ()) != 1:
        raise ExpressionError(f"not one expression: {sql[7:]!r}")
    return _plain(statements[0].stmt.targetList[0].val(skip_none=True))


def _plain(node: Any) -> Any:
    """pglast's dict form (``{'@': tag, ...}``, enums as ``{'#': ...}``) as ``{tag: {...}}`` JSON."""
    if isinstance(node, dict):
        if "#" in node:
            return node["name"]
        if "@" in node:
            return {node["@"]: {key: _plain(value) for key, value in node.items() if key != "@"}}
        return {key: _plain(value) for key, value in node.items()}
    if isinstance(node, (list, tuple)):
        return [_plain(item) for item in node]
    return node


@lru_cache(maxsize=4096)
def canonical(expression: str) -> str:
    """A string equal for two expressions exactly when they mean the same to PostgreSQL (as far as the
    canonicalisation rules above go). Raises ExpressionError if ``expression`` does not parse."""
    tree = _parse_target(f"SELECT {expression}")
    return json.dumps(_canon(tree), sort_keys=True, separators=(",", ":"))


def same_expression(expected: str, found: str | None) -> bool:
    if found is None:
        return False
    return canonical(expected) == canonical(found)


def value_set(expression: str) -> ValueSet | None:
    """The value set of a ``column IN (...)`` style CHECK, or None if the expression has another shape."""
    node = json.loads(canonical(expression))
    in_node = node.get("ValueSet") if isinstance(node, dict) else None
    if not in_node:
        return None
    column = _column_name(in_node["lexpr"])
    if column is None:
        return None
    values: set[str] = set()
    for item in in_node["values"]:
        literal = _literal(json.loads(item))
        if literal is None:
            return None
        values.add(literal)
    return ValueSet(column=column, values=frozenset(values), negated=in_node["op"] == "not-in")


def canonical_type(type_text: str) -> str:
    """The ``format_type()`` spelling of a type written the way a plan would write it
    (``varchar(255)`` -> ``character varying(255)``, ``timestamptz`` -> ``timestamp with time zone``)."""
    stripped = type_text.strip()
    lowered = stripped.lower()
    if lowered in _SERIAL_TYPES:
        return _SERIAL_TYPES[lowered]
    node = _parse_target(f"SELECT NULL::{stripped}")
    type_name = node["TypeCast"]["typeName"]["TypeName"]
    base = _type_names(type_name)[-1]
    modifiers = [_literal(_strip_locations(m)) for m in type_name.get("typmods", [])]
    modifier = f"({','.join(str(m) for m in modifiers)})" if modifiers else ""
    arrays = "[]" * len(type_name.get("arrayBounds", []))
    if base in ("timestamp", "timestamptz", "time", "timetz"):
        zone = "with time zone" if base.endswith("tz") else "without time zone"
        root = "timestamp" if base.startswith("timestamp") else "time"
        return f"{root}{modifier} {zone}{arrays}"
    return f"{_TYPE_NAMES.get(base, base)}{modifier}{arrays}"


# --- canonicalisation of the pglast JSON tree -------------------------------------------------------


def _strip_locations(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: _strip_locations(value) for key, value in node.items() if key != "location"}
    if isinstance(node, list):
        return [_strip_locations(item) for item in node]
    return node


def _type_names(type_name: dict[str, Any]) -> list[str]:
    names = [item["String"]["sval"] for item in type_name.get("names", [])]
    return names[1:] if names and names[0] == "pg_catalog" else names


def _canon(node: Any) -> Any:
    if isinstance(node, list):
        return [_canon(item) for item in node]
    if not isinstance(node, dict):
        return node
    if len(node) == 1:
        ((tag, body),) = node.items()
        handler = _HANDLERS.get(tag)
        if handler is not None and isinstance(body, dict):
            return handler(body)
    return {key: _canon(value) for key, value in node.items() if key != "location"}


def _typecast(body: dict[str, Any]) -> Any:
    type_name = body["typeName"]["TypeName"]
    names = _type_names(type_name)
    arg = _canon(body["arg"])
    base = names[-1] if names else ""
    if base in TEXT_LIKE_TYPES:
        return arg  # the server's own coercion to a text-like type (also of arrays: ::text[])
    if base in NUMERIC_TYPES and not type_name.get("arrayBounds"):
        literal = _literal(arg)
        if literal is not None and _is_number(literal):
            return {"Number": literal}
    return {"TypeCast": {"arg": arg, "type": names, "typmods": _canon(type_name.get("typmods", []))}}


def _a_const(body: dict[str, Any]) -> Any:
    if body.get("isnull"):
        return {"Null": True}
    value = body.get("val") or {}
    if "Integer" in value:
        return {"Number": str(value["Integer"].get("ival", 0))}
    if "Float" in value:
        return {"Number": str(value["Float"].get("fval", "0"))}
    if "String" in value:
        return {"String": value["String"].get("sval", "")}
    if "Boolean" in value:
        return {"Boolean": bool(value["Boolean"].get("boolval", False))}
    return {"A_Const": _canon(body)}


def _items(node: Any) -> list[Any]:
    if isinstance(node, list):
        return node
    return list(node["List"]["items"])


def _a_expr(body: dict[str, Any]) -> Any:
    kind = body.get("kind")
    operator = body["name"][-1]["String"]["sval"] if body.get("name") else ""
    lexpr = _canon(body.get("lexpr"))
    if kind == "AEXPR_IN":
        items = _items(body["rexpr"])
        return _value_set(lexpr, "in" if operator == "=" else "not-in", [_canon(item) for item in items])
    if kind in ("AEXPR_OP_ANY", "AEXPR_OP_ALL"):
        rexpr = _canon(body["rexpr"])
        elements = rexpr.get("Array") if isinstance(rexpr, dict) else None
        if elements is not None and (kind, operator) in (("AEXPR_OP_ANY", "="), ("AEXPR_OP_ALL", "<>")):
            return _value_set(lexpr, "in" if operator == "=" else "not-in", elements)
        return {"Quantified": {"kind": kind, "op": operator, "lexpr": lexpr, "rexpr": rexpr}}
    if kind == "AEXPR_BETWEEN":
        low, high = (_canon(item) for item in _items(body["rexpr"]))
        return _bool(
            "AND_EXPR",
            [
                {"Op": {"op": ">=", "lexpr": lexpr, "rexpr": low}},
                {"Op": {"op": "<=", "lexpr": lexpr, "rexpr": high}},
            ],
        )
    if kind == "AEXPR_OP":
        return {"Op": {"op": operator, "lexpr": lexpr, "rexpr": _canon(body.get("rexpr"))}}
    return {"A_Expr": {key: _canon(value) for key, value in body.items() if key != "location"}}


def _value_set(lexpr: Any, op: str, values: list[Any]) -> Any:
    encoded = sorted({json.dumps(value, sort_keys=True, separators=(",", ":")) for value in values})
    return {"ValueSet": {"lexpr": lexpr, "op": op, "values": encoded}}


def _array(body: dict[str, Any]) -> Any:
    return {"Array": [_canon(item) for item in body.get("elements", [])]}


def _bool_expr(body: dict[str, Any]) -> Any:
    return _bool(body["boolop"], [_canon(arg) for arg in body.get("args", [])])


def _bool(op: str, args: list[Any]) -> Any:
    if op == "NOT_EXPR":
        return {"Not": args}
    flat: list[Any] = []
    for arg in args:
        inner = arg.get("Bool") if isinstance(arg, dict) else None
        if isinstance(inner, dict) and inner.get("op") == op:
            flat.extend(json.loads(item) for item in inner["args"])
        else:
            flat.append(arg)
    encoded = sorted(json.dumps(arg, sort_keys=True, separators=(",", ":")) for arg in flat)
    return {"Bool": {"op": op, "args": encoded}}


def _func_call(body: dict[str, Any]) -> Any:
    names = [item["String"]["sval"] for item in body.get("funcname", [])]
    if names and names[0] == "pg_catalog":
        names = names[1:]
    rest = {k: _canon(v) for k, v in body.items() if k not in ("location", "funcname", "funcformat")}
    return {"Func": {"name": names, **rest}}


def _column_ref(body: dict[str, Any]) -> Any:
    return {"Column": [item.get("String", {}).get("sval", "*") for item in body.get("fields", [])]}


_HANDLERS = {
    "TypeCast": _typecast,
    "A_Const": _a_const,
    "A_Expr": _a_expr,
    "A_ArrayExpr": _array,
    "BoolExpr": _bool_expr,
    "FuncCall": _func_call,
    "ColumnRef": _column_ref,
}


def _literal(node: Any) -> str | None:
    if isinstance(node, dict):
        if "String" in node and isinstance(node["String"], str):
            return str(node["String"])
        if "Number" in node:
            return str(node["Number"])
        if "A_Const" in node:
            return _literal(_a_const(node["A_Const"]))
    return None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _column_name(node: Any) -> str | None:
    if isinstance(node, dict) and "Column" in node:
        return str(node["Column"][-1])
    return None
