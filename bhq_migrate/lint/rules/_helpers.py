"""Small pieces several rules share: names of dropped objects, the file's transaction context."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast

from bhq_migrate.lint.analysis import display_name, qualified_name


def dropped_names(node: ast.DropStmt) -> list[str]:
    """The dotted names a DROP statement lists (``public.t``, ``t``, ``f``), as written."""
    names: list[str] = []
    for obj in node.objects or ():
        if isinstance(obj, tuple):
            names.append(".".join(getattr(part, "sval", "") for part in obj))
        elif isinstance(obj, ast.ObjectWithArgs):
            names.append(".".join(getattr(part, "sval", "") for part in obj.objname or ()))
        elif isinstance(obj, ast.TypeName):
            names.append(".".join(getattr(part, "sval", "") for part in obj.names or ()))
        elif isinstance(obj, ast.String):
            names.append(obj.sval)
    return names


def table_label(relation: ast.RangeVar | None) -> str:
    return display_name(qualified_name(relation))


def new_columns(node: object) -> Iterator[ast.ColumnDef]:
    """The columns a statement defines: CREATE TABLE's, and ALTER TABLE's ADD COLUMN clauses."""
    if isinstance(node, ast.CreateStmt):
        yield from (element for element in node.tableElts or () if isinstance(element, ast.ColumnDef))
    elif isinstance(node, ast.AlterTableStmt):
        yield from (cmd.def_ for cmd in node.cmds or () if isinstance(cmd.def_, ast.ColumnDef))
