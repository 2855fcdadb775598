"""L008 create-without-if-not-exists: a statement that fails when the plan runs a second time."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import AlterTableType, ObjectType

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.context import AnalysedStatement, Hit, LintContext, LintRule

_DROPS = {AlterTableType.AT_DropColumn: "DROP COLUMN", AlterTableType.AT_DropConstraint: "DROP CONSTRAINT"}


def _kind(statement: AnalysedStatement) -> str | None:
    node = statement.unit.node
    if isinstance(node, ast.CreateStmt) and not node.if_not_exists:
        return "CREATE TABLE"
    if isinstance(node, ast.IndexStmt) and not node.if_not_exists:
        return "CREATE INDEX"
    if isinstance(node, ast.CreateSchemaStmt) and not node.if_not_exists:
        return "CREATE SCHEMA"
    if isinstance(node, ast.CreateSeqStmt) and not node.if_not_exists:
        return "CREATE SEQUENCE"
    if isinstance(node, ast.CreateExtensionStmt) and not node.if_not_exists:
        return "CREATE EXTENSION"
    if isinstance(node, ast.DropStmt) and not node.missing_ok:
        kinds = {
            ObjectType.OBJECT_TABLE: "DROP TABLE",
            ObjectType.OBJECT_INDEX: "DROP INDEX",
            ObjectType.OBJECT_TYPE: "DROP TYPE",
        }
        return kinds.get(node.removeType)
    return None


def check(context: LintContext) -> Iterator[Hit]:
    for statement in context.statements:
        kind = _kind(statement)
        if kind is not None:
            guard = "IF EXISTS" if kind.startswith("DROP") else "IF NOT EXISTS"
            yield Hit(f"{kind} without {guard} fails when the plan runs again", statement.unit)
        node = statement.unit.node
        if not isinstance(node, ast.AlterTableStmt):
            continue
        for cmd in node.cmds or ():
            if cmd.subtype == AlterTableType.AT_AddColumn and not cmd.missing_ok:
                column = cmd.def_.colname if isinstance(cmd.def_, ast.ColumnDef) else ""
                yield Hit(
                    f'ADD COLUMN "{column}" without IF NOT EXISTS fails when the plan runs again',
                    statement.unit,
                    getattr(cmd.def_, "location", None),
                )
            elif cmd.subtype == AlterTableType.AT_AddConstraint and not statement.unit.in_do_block:
                name = getattr(cmd.def_, "conname", None) or ""
                yield Hit(
                    f'ADD CONSTRAINT "{name}" fails when the plan runs again ("already exists"); PostgreSQL '
                    "has no ADD CONSTRAINT IF NOT EXISTS",
                    statement.unit,
                    getattr(cmd.def_, "location", None),
                )
            elif cmd.subtype in _DROPS and not cmd.missing_ok and not statement.unit.in_do_block:
                yield Hit(
                    f'{_DROPS[cmd.subtype]} "{cmd.name}" without IF EXISTS fails when the plan runs again',
                    statement.unit,
                    context.clause_location(statement, cmd),
                )


RULE = LintRule(
    Rule(
        id="L008",
        name="create-without-if-not-exists",
        title="A CREATE, ADD or DROP that is not re-runnable",
        severity=Severity.WARNING,
        rationale="A plan that failed half-way, or is re-applied to a database where part of it already "
        "exists, must run again cleanly. CREATE TABLE/INDEX/SCHEMA and ADD COLUMN without IF NOT "
        "EXISTS, and a bare ADD CONSTRAINT, stop it with 'already exists'; DROP TABLE/INDEX/TYPE, DROP "
        "COLUMN and DROP CONSTRAINT without IF EXISTS stop it with 'does not exist'.",
        fix="Use IF NOT EXISTS (IF EXISTS for DROP); for ADD CONSTRAINT (which has none) wrap it in `DO $$ BEGIN "
        "IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = 't'::regclass AND conname = 'c') THEN ALTER TABLE"
        " ... ADD CONSTRAINT ...; END IF; END $$;`.",
    ),
    check,
)
