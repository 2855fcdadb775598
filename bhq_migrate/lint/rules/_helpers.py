"""Small pieces several rules share: names of dropped objects, the file's transaction context."""

from __future__ import annotations

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
