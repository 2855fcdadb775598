"""Plans and checks must not drift apart: every object a plan creates, alters or drops needs an expectation
in the plan's checks file.

The plan is read with PostgreSQL's own parser (pglast), including the statements inside ``DO`` blocks
(parsed as PL/pgSQL). Constraints a plan leaves unnamed get the name PostgreSQL gives them
(``<table>_<column>_check``, ``_key``, ``_fkey``, ``<table>_pkey``), so the checks file can name them.
Dynamic SQL (``EXECUTE format(...)``) cannot be read statically; it is reported as *opaque* with its line,
and whoever owns the plan must cover what it does by hand (tests/verify/test_coverage.py does so for 003).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pglast
from pglast import ast

from bhq_migrate.plans import Plan
from bhq_migrate.verify.expectations import ChecksFile, QName, expand, show

_CONSTRAINT_SUFFIX = {"CONSTR_CHECK": "check", "CONSTR_UNIQUE": "key", "CONSTR_FOREIGN": "fkey"}
_CONSTRAINT_KIND = {"CONSTR_CHECK": "has_check", "CONSTR_UNIQUE": "has_unique", "CONSTR_FOREIGN": "fk_ok"}


@dataclass(frozen=True)
class Touched:
    """One (subject, attribute) a plan statement establishes, and the check kinds that can cover it."""

    plan: str
    line: int
    subject: str
    attribute: str
    kinds: frozenset[str]
    what: str

    def describe(self) -> str:
        return f"{self.what} (line {self.line}): needs {' or '.join(sorted(self.kinds))}"


@dataclass(frozen=True)
class Opaque:
    plan: str
    line: int
    reason: str


def touched(plan: Plan) -> tuple[list[Touched], list[Opaque]]:
    found: list[Touched] = []
    opaque: list[Opaque] = []
    for statement in plan.statements:
        for node in pglast.parse_sql(statement.sql):
            _walk(node.stmt, plan.id, statement.line, found, opaque)
    return found, opaque


def uncovered(plan: Plan, checks: ChecksFile) -> list[Touched]:
    """What ``plan`` touches that ``checks`` (the plan's own checks file) does not assert."""
    declared = {(exp.subject, exp.attribute, exp.kind) for exp in expand(checks, "")}
    missing = []
    for item in touched(plan)[0]:
        if not any((item.subject, item.attribute, kind) in declared for kind in item.kinds):
            missing.append(item)
    return missing


# --- statement walkers ------------------------------------------------------------------------------


def _qname(relation: ast.RangeVar) -> QName:
    return (relation.schemaname or "public", relation.relname)


def _add(out: list[Touched], plan: str, line: int, subject: str, attribute: str, kinds: set[str], what: str) -> None:
    out.append(Touched(plan, line, subject, attribute, frozenset(kinds), what))


def _column(out: list[Touched], plan: str, line: int, table: QName, column: str, attribute: str) -> None:
    kinds = {"type": {"col_type_is"}, "nullable": {"col_not_null", "col_is_null"}, "default": {"col_default_is"},
             "exists": {"has_column"}}[attribute]
    name = f"{show(table)}.{column}"
    _add(out, plan, line, f"column {name}", attribute, kinds, f"column {name} {attribute}")


def _constraint(out: list[Touched], plan: str, line: int, table: QName, name: str, contype: str) -> None:
    if contype == "CONSTR_PRIMARY":
        _add(out, plan, line, f"table {show(table)}", "primary key", {"col_is_pk"}, f"primary key of {show(table)}")
    elif contype in _CONSTRAINT_KIND:
        _add(out, plan, line, f"constraint {show(table)}.{name}", "exists", {_CONSTRAINT_KIND[contype]},
             f"constraint {show(table)}.{name}")


def _default_name(table: QName, columns: list[str], contype: str) -> str:
    if contype == "CONSTR_PRIMARY":
        return f"{table[1]}_pkey"
    parts = [table[1], *columns, _CONSTRAINT_SUFFIX.get(contype, "check")]
    return "_".join(parts)[:63]


def _enum(value: Any) -> str:
    return str(getattr(value, "name", value))


def _column_def(out: list[Touched], plan: str, line: int, table: QName, column: ast.ColumnDef, creating: bool) -> None:
    name = column.colname
    _column(out, plan, line, table, name, "exists")
    _column(out, plan, line, table, name, "type")
    if creating:
        _column(out, plan, line, table, name, "nullable")
    for constraint in column.constraints or ():
        contype = _enum(constraint.contype)
        if contype in ("CONSTR_NOTNULL", "CONSTR_NULL", "CONSTR_PRIMARY") and not creating:
            _column(out, plan, line, table, name, "nullable")
        if contype == "CONSTR_DEFAULT":
            _column(out, plan, line, table, name, "default")
        if contype in ("CONSTR_CHECK", "CONSTR_UNIQUE", "CONSTR_FOREIGN", "CONSTR_PRIMARY"):
            conname = constraint.conname or _default_name(table, [name], contype)
            _constraint(out, plan, line, table, conname, contype)


def _table_constraint(out: list[Touched], plan: str, line: int, table: QName, constraint: ast.Constraint) -> None:
    contype = _enum(constraint.contype)
    columns = [key.sval for key in (constraint.keys or constraint.fk_attrs or ())]
    if contype == "CONSTR_CHECK" and not columns:
        # PostgreSQL names an unnamed table CHECK after its column when it mentions exactly one column
        # (<table>_<column>_check), else <table>_check (AddRelationNewConstraints).
        mentioned = _columns_in(constraint.raw_expr)
        columns = list(mentioned) if len(mentioned) == 1 else []
    conname = constraint.conname or _default_name(table, columns, contype)
    _constraint(out, plan, line, table, conname, contype)


def _columns_in(node: Any) -> set[str]:
    """Every column name a raw expression refers to."""
    if isinstance(node, ast.ColumnRef):
        return {field.sval for field in node.fields[-1:] if isinstance(field, ast.String)}
    found: set[str] = set()
    if isinstance(node, ast.Node):
        for attribute in node:
            found |= _columns_in(getattr(node, attribute))
    elif isinstance(node, tuple):
        for item in node:
            found |= _columns_in(item)
    return found


def _walk(stmt: Any, plan: str, line: int, out: list[Touched], opaque: list[Opaque]) -> None:
    if isinstance(stmt, ast.CreateSchemaStmt):
        _add(out, plan, line, f"schema {stmt.schemaname}", "exists", {"has_schema"}, f"schema {stmt.schemaname}")
    elif isinstance(stmt, ast.CreateStmt):
        table = _qname(stmt.relation)
        _add(out, plan, line, f"table {show(table)}", "exists", {"has_table"}, f"table {show(table)}")
        for element in stmt.tableElts or ():
            if isinstance(element, ast.ColumnDef):
                _column_def(out, plan, line, table, element, creating=True)
            elif isinstance(element, ast.Constraint):
                _table_constraint(out, plan, line, table, element)
    elif isinstance(stmt, ast.IndexStmt):
        schema = stmt.relation.schemaname or "public"
        index = f"{schema}.{stmt.idxname}"
        _add(out, plan, line, f"index {index}", "exists", {"has_index"}, f"index {index}")
    elif isinstance(stmt, ast.DropStmt) and _enum(stmt.removeType) == "OBJECT_INDEX":
        for names in stmt.objects or ():
            parts = [item.sval for item in names]
            schema, name = (parts[0], parts[1]) if len(parts) == 2 else ("public", parts[-1])
            _add(out, plan, line, f"index {schema}.{name}", "exists", {"hasnt_index"}, f"dropped index {schema}.{name}")
    elif isinstance(stmt, ast.AlterTableStmt):
        _alter_table(stmt, plan, line, out)
    elif isinstance(stmt, ast.DoStmt):
        for inner_line, inner in _do_block_statements(stmt, line, opaque, plan):
            _walk(inner, plan, inner_line, out, opaque)


def _alter_table(stmt: ast.AlterTableStmt, plan: str, line: int, out: list[Touched]) -> None:
    table = _qname(stmt.relation)
    for command in stmt.cmds or ():
        subtype = _enum(command.subtype)
        if subtype == "AT_AddColumn":
            _column_def(out, plan, line, table, command.def_, creating=False)
            _column(out, plan, line, table, command.def_.colname, "nullable")
        elif subtype == "AT_AlterColumnType":
            _column(out, plan, line, table, command.name, "type")
        elif subtype in ("AT_DropNotNull", "AT_SetNotNull"):
            _column(out, plan, line, table, command.name, "nullable")
        elif subtype == "AT_ColumnDefault":
            _column(out, plan, line, table, command.name, "default")
        elif subtype == "AT_AddConstraint":
            _table_constraint(out, plan, line, table, command.def_)
        elif subtype == "AT_ValidateConstraint":
            # Validating does not change what the constraint is; the ADD that precedes it is covered.
            continue


def _do_block_statements(stmt: ast.DoStmt, line: int, opaque: list[Opaque], plan: str) -> Iterator[tuple[int, Any]]:
    body = next((arg.arg.sval for arg in stmt.args or () if arg.defname == "as"), "")
    function = f"CREATE FUNCTION bhq_do() RETURNS void LANGUAGE plpgsql AS $bhq_do${body}$bhq_do$"
    for node in _plpgsql_nodes(pglast.parse_plpgsql(function)):
        ((tag, content),) = node.items()
        inner_line = line + max(int(content.get("lineno", 1)) - 1, 0)
        if tag == "PLpgSQL_stmt_execsql":
            for parsed in pglast.parse_sql(content["sqlstmt"]["PLpgSQL_expr"]["query"]):
                yield inner_line, parsed.stmt
        elif tag == "PLpgSQL_stmt_dynexecute":
            opaque.append(Opaque(plan, inner_line, "dynamic SQL (EXECUTE) in a DO block"))


def _plpgsql_nodes(tree: Any) -> Iterator[dict[str, Any]]:
    if isinstance(tree, list):
        for item in tree:
            yield from _plpgsql_nodes(item)
    elif isinstance(tree, dict):
        if len(tree) == 1:
            ((tag, content),) = tree.items()
            if tag.startswith("PLpgSQL_stmt_") and isinstance(content, dict):
                yield tree
        for value in tree.values():
            yield from _plpgsql_nodes(value)
