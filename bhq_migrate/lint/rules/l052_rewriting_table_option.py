"""L052 rewriting-table-option: ALTER TABLE ... SET TABLESPACE / SET LOGGED / SET UNLOGGED on an existing table."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import AlterTableType

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.analysis import display_name
from bhq_migrate.lint.context import Hit, LintContext, LintRule

_REWRITES = {
    AlterTableType.AT_SetTableSpace: "SET TABLESPACE",
    AlterTableType.AT_SetLogged: "SET LOGGED",
    AlterTableType.AT_SetUnLogged: "SET UNLOGGED",
}
_UNCHANGED = "SET LOGGED / UNLOGGED unchanged"


def check(context: LintContext) -> Iterator[Hit]:
    for statement in context.of_type(ast.AlterTableStmt):
        node = statement.unit.node
        assert isinstance(node, ast.AlterTableStmt)
        if not statement.table_existed:
            continue
        # One action per clause (analysis.ACTIONS): a SET LOGGED / UNLOGGED the table already has is "unchanged".
        for cmd, action in zip(node.cmds or (), statement.effect.actions, strict=True):
            clause = _REWRITES.get(cmd.subtype)
            if clause is not None and action != _UNCHANGED:
                yield Hit(
                    f"{clause} copies all of {display_name(statement.effect.object or '')} under ACCESS EXCLUSIVE",
                    statement.unit,
                )


RULE = LintRule(
    Rule(
        id="L052",
        name="rewriting-table-option",
        title="SET TABLESPACE, SET LOGGED or SET UNLOGGED on an existing table",
        severity=Severity.WARNING,
        rationale="Each of these writes a full new copy of the table (and for SET LOGGED, all of it to the WAL) "
        "while holding ACCESS EXCLUSIVE. SET LOGGED on a table that is already logged, or SET UNLOGGED on one that "
        "is already unlogged, copies nothing and is not reported when the table's persistence is known: from the "
        "database (`lint -d`, `plan`) or from the migration that created the table or last changed it.",
        fix="Do it in a maintenance window, or move the data online with logical replication or pg_repack.",
    ),
    check,
)
