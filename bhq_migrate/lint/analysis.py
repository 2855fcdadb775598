"""What one statement does to a live table: which lock it takes, on which table, and whether the table is
rewritten, fully scanned, or only its catalog entry changes.

The facts live in one table, :data:`ACTIONS`, keyed by the kind of action (``ALTER COLUMN TYPE``,
``CREATE INDEX``...). Code here only decides which row applies to a statement; it never invents a lock
mode. The rows follow PostgreSQL 15's documentation ("Explicit Locking", ``ALTER TABLE`` notes) and several
are checked against a real server by ``tests/lint/test_analysis_locks.py`` (run in a transaction, read
``pg_locks``).

Lock modes, weakest first, and what each blocks:

=========================  ==============================================================
ACCESS SHARE               only ACCESS EXCLUSIVE (plain SELECT takes it)
ROW EXCLUSIVE              SHARE and stronger: CREATE INDEX waits for writers
SHARE UPDATE EXCLUSIVE     other schema changes and VACUUM; reads and writes go on
SHARE                      every write (INSERT/UPDATE/DELETE); reads go on
SHARE ROW EXCLUSIVE        every write and other SHARE ROW EXCLUSIVE; reads go on
EXCLUSIVE                  everything except plain reads
ACCESS EXCLUSIVE           everything, including SELECT
=========================  ==============================================================

Effects, cheapest first: ``none`` (no table touched), ``catalog`` (metadata only, milliseconds once the lock
is granted), ``scan`` (reads every row: index build, constraint validation, SET NOT NULL), ``rewrite``
(writes a new copy of the table and rebuilds its indexes: time grows with table size), ``unknown``
(dynamic SQL the linter cannot see).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from enum import Enum

from pglast import ast, parser
from pglast.enums import AlterTableType, ConstrType, ObjectType

from bhq_migrate.lint.types import TypeRef, is_binary_coercible_change, type_from_ast


class LockMode(str, Enum):
    ACCESS_SHARE = "ACCESS SHARE"
    ROW_SHARE = "ROW SHARE"
    ROW_EXCLUSIVE = "ROW EXCLUSIVE"
    SHARE_UPDATE_EXCLUSIVE = "SHARE UPDATE EXCLUSIVE"
    SHARE = "SHARE"
    SHARE_ROW_EXCLUSIVE = "SHARE ROW EXCLUSIVE"
    EXCLUSIVE = "EXCLUSIVE"
    ACCESS_EXCLUSIVE = "ACCESS EXCLUSIVE"

    @property
    def strength(self) -> int:
        return list(LockMode).index(self)

    @property
    def pg_locks_name(self) -> str:
        """The spelling in ``pg_locks.mode`` (``AccessExclusiveLock``)."""
        return "".join(word.capitalize() for word in self.value.split()) + "Lock"


class Effect(str, Enum):
    NONE = "none"
    CATALOG = "catalog"
    SCAN = "scan"
    REWRITE = "rewrite"
    UNKNOWN = "unknown"

    @property
    def cost(self) -> int:
        return {"none": 0, "catalog": 1, "scan": 2, "rewrite": 3, "unknown": 2}[self.value]


@dataclass(frozen=True)
class ActionFacts:
    lock: LockMode | None
    effect: Effect
    note: str


_AE = LockMode.ACCESS_EXCLUSIVE
_SUE = LockMode.SHARE_UPDATE_EXCLUSIVE
_SRE = LockMode.SHARE_ROW_EXCLUSIVE

ACTIONS: dict[str, ActionFacts] = {
    # ALTER TABLE subcommands: the statement takes the strongest lock and the costliest effect of its clauses.
    "ADD COLUMN": ActionFacts(_AE, Effect.CATALOG, "no rewrite since PostgreSQL 11 (constant default)"),
    "ADD COLUMN volatile default": ActionFacts(
        _AE,
        Effect.REWRITE,
        "a volatile default (random(), nextval: SERIAL, identity, stored generated) is computed for every existing row",
    ),
    "ALTER COLUMN TYPE": ActionFacts(_AE, Effect.REWRITE, "rewrites the table and rebuilds its indexes"),
    "ALTER COLUMN TYPE binary-coercible": ActionFacts(
        _AE, Effect.CATALOG, "varchar widening, varchar to text: catalog only"
    ),
    "SET NOT NULL": ActionFacts(_AE, Effect.SCAN, "scans the whole table under ACCESS EXCLUSIVE"),
    "DROP NOT NULL": ActionFacts(_AE, Effect.CATALOG, "catalog only"),
    "SET DEFAULT": ActionFacts(_AE, Effect.CATALOG, "applies to new rows only"),
    "DROP DEFAULT": ActionFacts(_AE, Effect.CATALOG, "catalog only"),
    "DROP COLUMN": ActionFacts(_AE, Effect.CATALOG, "the column is hidden; space is reclaimed by later rewrites"),
    "ADD CONSTRAINT CHECK": ActionFacts(_AE, Effect.SCAN, "validates every row under ACCESS EXCLUSIVE"),
    "ADD CONSTRAINT CHECK NOT VALID": ActionFacts(_AE, Effect.CATALOG, "checks new rows only; VALIDATE later"),
    "ADD CONSTRAINT FOREIGN KEY": ActionFacts(
        _SRE, Effect.SCAN, "SHARE ROW EXCLUSIVE on both tables while every row is checked"
    ),
    "ADD CONSTRAINT FOREIGN KEY NOT VALID": ActionFacts(_SRE, Effect.CATALOG, "checks new rows only"),
    "ADD CONSTRAINT UNIQUE": ActionFacts(_AE, Effect.SCAN, "builds a unique index under ACCESS EXCLUSIVE"),
    "ADD CONSTRAINT USING INDEX": ActionFacts(_AE, Effect.CATALOG, "adopts an index built beforehand"),
    "VALIDATE CONSTRAINT": ActionFacts(_SUE, Effect.SCAN, "scans, but reads and writes go on"),
    "DROP CONSTRAINT": ActionFacts(_AE, Effect.CATALOG, "catalog only"),
    "RENAME": ActionFacts(_AE, Effect.CATALOG, "catalog only"),
    "SET STATISTICS": ActionFacts(_SUE, Effect.CATALOG, "catalog only"),
    "SET TABLESPACE / LOGGED / UNLOGGED": ActionFacts(_AE, Effect.REWRITE, "copies the whole table"),
    "SET LOGGED / UNLOGGED unchanged": ActionFacts(
        _AE, Effect.CATALOG, "the table already has that persistence (catalog or earlier migration): nothing is copied"
    ),
    "ALTER TABLE other": ActionFacts(_AE, Effect.CATALOG, "conservative default for other ALTER TABLE clauses"),
    # Other statements.
    "CREATE INDEX": ActionFacts(LockMode.SHARE, Effect.SCAN, "blocks writes for the whole build"),
    "CREATE INDEX CONCURRENTLY": ActionFacts(_SUE, Effect.SCAN, "reads and writes go on; not in a transaction"),
    "DROP INDEX": ActionFacts(_AE, Effect.CATALOG, "ACCESS EXCLUSIVE on the table for a moment"),
    "DROP INDEX CONCURRENTLY": ActionFacts(_SUE, Effect.CATALOG, "waits for users of the index; not in a transaction"),
    "REINDEX": ActionFacts(LockMode.SHARE, Effect.SCAN, "blocks writes while the index is rebuilt"),
    "CREATE TABLE": ActionFacts(None, Effect.CATALOG, "a new table; no existing table is locked"),
    "CREATE TABLE references": ActionFacts(
        _SRE, Effect.CATALOG, "a REFERENCES clause takes SHARE ROW EXCLUSIVE on the referenced table"
    ),
    "DROP TABLE": ActionFacts(_AE, Effect.CATALOG, "catalog only"),
    "TRUNCATE": ActionFacts(_AE, Effect.CATALOG, "swaps in an empty file"),
    "VACUUM FULL / CLUSTER": ActionFacts(_AE, Effect.REWRITE, "rewrites the table"),
    "VACUUM": ActionFacts(_SUE, Effect.SCAN, "reads and writes go on"),
    "REFRESH MATERIALIZED VIEW": ActionFacts(_AE, Effect.REWRITE, "rewrites the view's table"),
    "CREATE TRIGGER": ActionFacts(_SRE, Effect.CATALOG, "blocks writes while it waits and is granted"),
    "CREATE / ALTER / DROP POLICY": ActionFacts(_AE, Effect.CATALOG, "catalog only; ACCESS EXCLUSIVE on the table"),
    "COMMENT": ActionFacts(_SUE, Effect.CATALOG, "catalog only"),
    "INSERT": ActionFacts(LockMode.ROW_EXCLUSIVE, Effect.CATALOG, "row locks on new rows only"),
    "UPDATE / DELETE": ActionFacts(LockMode.ROW_EXCLUSIVE, Effect.SCAN, "row locks on every matched row until commit"),
    "SELECT": ActionFacts(LockMode.ACCESS_SHARE, Effect.NONE, "reads"),
    "DO block": ActionFacts(None, Effect.NONE, "the effects of the SQL statements in its body"),
    "DO block dynamic SQL": ActionFacts(None, Effect.UNKNOWN, "EXECUTE of a computed string: not analysed"),
    "no table": ActionFacts(None, Effect.NONE, "SET, CREATE SCHEMA, transaction control, functions..."),
}

# Functions whose value differs per row: as an ADD COLUMN default they force a rewrite.
VOLATILE_FUNCTIONS = frozenset(
    {
        "random",
        "gen_random_uuid",
        "uuid_generate_v1",
        "uuid_generate_v1mc",
        "uuid_generate_v4",
        "clock_timestamp",
        "timeofday",
        "nextval",
        "txid_current",
        "statement_timestamp",
        "setseed",
    }
)


@dataclass(frozen=True)
class TableLock:
    table: str
    mode: LockMode


@dataclass(frozen=True)
class StatementEffect:
    """``object`` is the main table (or index/schema) touched; ``lock_mode`` the strongest lock on it."""

    object: str | None
    lock_mode: LockMode | None
    effect: Effect
    actions: tuple[str, ...]
    """Keys of :data:`ACTIONS`; for ALTER TABLE one per clause, in order."""
    locks: tuple[TableLock, ...] = ()
    notes: tuple[str, ...] = field(default=())


ColumnTypeLookup = Callable[[str, str], "TypeRef | None"]
PersistenceLookup = Callable[[str], "str | None"]
"""A table's ``pg_class.relpersistence`` (``p`` logged, ``u`` unlogged), or None when it is not known."""

_PERSISTENCE_SET = {AlterTableType.AT_SetLogged: "p", AlterTableType.AT_SetUnLogged: "u"}


def qualified_name(relation: ast.RangeVar | None) -> str:
    """``schema.table`` with ``public`` for unqualified names, exactly as PostgreSQL stores them."""
    if relation is None:
        return ""
    return f"{relation.schemaname or 'public'}.{relation.relname}"


def display_name(qualified: str) -> str:
    """``"Invoice"`` for ``public.Invoice``; ``marketplace.users`` for ``marketplace.users``."""
    if not qualified:
        return ""
    schema, _, name = qualified.partition(".")

    def quote(identifier: str) -> str:
        return identifier if identifier.islower() and identifier.replace("_", "").isalnum() else f'"{identifier}"'

    return quote(name) if schema == "public" else f"{quote(schema)}.{quote(name)}"


def is_volatile_default(column: ast.ColumnDef) -> bool:
    """A new column whose value differs per row: volatile default, SERIAL, identity, stored generated."""
    if column.typeName is not None and type_from_ast(column.typeName).serial:
        return True
    for constraint in column.constraints or ():
        if constraint.contype in (ConstrType.CONSTR_IDENTITY, ConstrType.CONSTR_GENERATED):
            return True
        if constraint.contype == ConstrType.CONSTR_DEFAULT and _calls_volatile(constraint.raw_expr):
            return True
    return False


def _calls_volatile(node: object) -> bool:
    if isinstance(node, ast.FuncCall):
        name = getattr(node.funcname[-1], "sval", "").lower() if node.funcname else ""
        if name in VOLATILE_FUNCTIONS:
            return True
    if isinstance(node, ast.Node):  # iterating a pglast node yields its field names
        return any(_calls_volatile(getattr(node, name)) for name in node)
    if isinstance(node, tuple):
        return any(_calls_volatile(item) for item in node)
    return False


def _alter_table_action(
    cmd: ast.AlterTableCmd, table: str, column_type: ColumnTypeLookup | None, persistence: PersistenceLookup | None
) -> str:
    subtype = cmd.subtype
    # PostgreSQL returns early from SET LOGGED on a logged table (and UNLOGGED on an unlogged one): no new
    # relfilenode. Only when the persistence is known; otherwise the clause counts as the rewrite it may be.
    if subtype in _PERSISTENCE_SET and persistence is not None and persistence(table) == _PERSISTENCE_SET[subtype]:
        return "SET LOGGED / UNLOGGED unchanged"
    if subtype == AlterTableType.AT_AddColumn:
        column = cmd.def_
        return (
            "ADD COLUMN volatile default"
            if isinstance(column, ast.ColumnDef) and is_volatile_default(column)
            else "ADD COLUMN"
        )
    if subtype == AlterTableType.AT_AlterColumnType:
        new = type_from_ast(cmd.def_.typeName)
        old = column_type(table, cmd.name) if column_type and cmd.name else None
        using = getattr(cmd.def_, "raw_default", None)
        if using is None and is_binary_coercible_change(old, new):
            return "ALTER COLUMN TYPE binary-coercible"
        return "ALTER COLUMN TYPE"
    if subtype == AlterTableType.AT_AddConstraint and isinstance(cmd.def_, ast.Constraint):
        constraint = cmd.def_
        not_valid = " NOT VALID" if constraint.skip_validation else ""
        if constraint.contype == ConstrType.CONSTR_CHECK:
            return "ADD CONSTRAINT CHECK" + not_valid
        if constraint.contype == ConstrType.CONSTR_FOREIGN:
            return "ADD CONSTRAINT FOREIGN KEY" + not_valid
        if constraint.contype in (
            ConstrType.CONSTR_UNIQUE,
            ConstrType.CONSTR_PRIMARY,
            ConstrType.CONSTR_EXCLUSION,
        ):
            return "ADD CONSTRAINT USING INDEX" if constraint.indexname else "ADD CONSTRAINT UNIQUE"
        return "ALTER TABLE other"
    simple = {
        AlterTableType.AT_SetNotNull: "SET NOT NULL",
        AlterTableType.AT_DropNotNull: "DROP NOT NULL",
        AlterTableType.AT_DropColumn: "DROP COLUMN",
        AlterTableType.AT_ValidateConstraint: "VALIDATE CONSTRAINT",
        AlterTableType.AT_DropConstraint: "DROP CONSTRAINT",
        AlterTableType.AT_SetStatistics: "SET STATISTICS",
        AlterTableType.AT_SetTableSpace: "SET TABLESPACE / LOGGED / UNLOGGED",
        AlterTableType.AT_SetLogged: "SET TABLESPACE / LOGGED / UNLOGGED",
        AlterTableType.AT_SetUnLogged: "SET TABLESPACE / LOGGED / UNLOGGED",
    }
    if subtype in simple:
        return simple[subtype]
    if subtype == AlterTableType.AT_ColumnDefault:
        return "SET DEFAULT" if cmd.def_ is not None else "DROP DEFAULT"
    return "ALTER TABLE other"


def _effect(target: str | None, actions: list[str], extra_locks: Iterable[TableLock] = ()) -> StatementEffect:
    facts = [ACTIONS[action] for action in actions]
    modes = [f.lock for f in facts if f.lock is not None]
    lock_mode = max(modes, key=lambda mode: mode.strength) if modes else None
    effect = max((f.effect for f in facts), key=lambda e: e.cost, default=Effect.NONE)
    locks = [TableLock(target, lock_mode)] if target and lock_mode else []
    locks.extend(lock for lock in extra_locks if lock.table != target)
    notes = tuple(dict.fromkeys(f.note for f in facts))
    return StatementEffect(target, lock_mode, effect, tuple(actions), tuple(locks), notes)


def _referenced_tables(create: ast.CreateStmt) -> list[str]:
    tables: list[str] = []
    for element in create.tableElts or ():
        constraints = element.constraints or () if isinstance(element, ast.ColumnDef) else (element,)
        for constraint in constraints:
            if isinstance(constraint, ast.Constraint) and constraint.contype == ConstrType.CONSTR_FOREIGN:
                tables.append(qualified_name(constraint.pktable))
    return tables


def analyse_statement(
    node: ast.Node, column_type: ColumnTypeLookup | None = None, persistence: PersistenceLookup | None = None
) -> StatementEffect:
    """The :class:`StatementEffect` of one parsed statement (``RawStmt.stmt``).

    ``column_type(table, column)`` may supply a column's current type, so that a varchar widening is known
    to be catalog-only; without it, every type change counts as a rewrite. ``persistence(table)`` may supply
    a table's persistence, so that SET LOGGED on a logged table is known to copy nothing.
    A DO block's effect comes from its body; see :mod:`bhq_migrate.lint.source`.
    """
    if isinstance(node, ast.AlterTableStmt) and node.objtype == ObjectType.OBJECT_TABLE:
        table = qualified_name(node.relation)
        actions = [_alter_table_action(cmd, table, column_type, persistence) for cmd in node.cmds or ()]
        extra = [
            TableLock(qualified_name(cmd.def_.pktable), _SRE)
            for cmd in node.cmds or ()
            if isinstance(cmd.def_, ast.Constraint) and cmd.def_.contype == ConstrType.CONSTR_FOREIGN
        ]
        return _effect(table, actions, extra)
    if isinstance(node, ast.RenameStmt) and node.relation is not None:
        return _effect(qualified_name(node.relation), ["RENAME"])
    if isinstance(node, ast.IndexStmt):
        return _effect(
            qualified_name(node.relation),
            ["CREATE INDEX CONCURRENTLY" if node.concurrent else "CREATE INDEX"],
        )
    if isinstance(node, ast.CreateStmt):
        referenced = [TableLock(table, _SRE) for table in _referenced_tables(node)]
        result = _effect(qualified_name(node.relation), ["CREATE TABLE"], referenced)
        if referenced:  # the lock is on the referenced tables, not on the new one: only a note and `locks`
            return replace(result, notes=(*result.notes, ACTIONS["CREATE TABLE references"].note))
        return result
    if isinstance(node, ast.DropStmt):
        # The dropped object itself (an index's table is not known without the catalog; both get the lock).
        names = [
            ".".join(getattr(part, "sval", "") for part in obj) for obj in node.objects or () if isinstance(obj, tuple)
        ]
        target = (names[0] if "." in names[0] else f"public.{names[0]}") if names else None
        if node.removeType == ObjectType.OBJECT_INDEX:
            return _effect(target, ["DROP INDEX CONCURRENTLY" if node.concurrent else "DROP INDEX"])
        if node.removeType == ObjectType.OBJECT_TABLE:
            return _effect(target, ["DROP TABLE"])
        if node.removeType == ObjectType.OBJECT_POLICY and names:  # (schema.)table.policy: the table is locked
            table = names[0].rpartition(".")[0]
            return _effect(table if "." in table else f"public.{table}", ["CREATE / ALTER / DROP POLICY"])
        return _effect(target, ["no table"])
    if isinstance(node, ast.TruncateStmt):
        tables = [qualified_name(rel) for rel in node.relations or ()]
        return _effect(tables[0] if tables else None, ["TRUNCATE"])
    if isinstance(node, (ast.UpdateStmt, ast.DeleteStmt)):
        return _effect(qualified_name(node.relation), ["UPDATE / DELETE"])
    if isinstance(node, ast.InsertStmt):
        return _effect(qualified_name(node.relation), ["INSERT"])
    if isinstance(node, ast.ClusterStmt):
        return _effect(qualified_name(node.relation), ["VACUUM FULL / CLUSTER"])
    if isinstance(node, ast.VacuumStmt):
        full = any(getattr(option, "defname", "") == "full" for option in node.options or ())
        relations = [qualified_name(rel.relation) for rel in node.rels or () if isinstance(rel, ast.VacuumRelation)]
        return _effect(relations[0] if relations else None, ["VACUUM FULL / CLUSTER" if full else "VACUUM"])
    if isinstance(node, ast.RefreshMatViewStmt):
        return _effect(qualified_name(node.relation), ["REFRESH MATERIALIZED VIEW"])
    if isinstance(node, ast.ReindexStmt):
        return _effect(qualified_name(node.relation), ["REINDEX"])
    if isinstance(node, ast.CreateTrigStmt):
        return _effect(qualified_name(node.relation), ["CREATE TRIGGER"])
    if isinstance(node, (ast.CreatePolicyStmt, ast.AlterPolicyStmt)):
        return _effect(qualified_name(node.table), ["CREATE / ALTER / DROP POLICY"])
    if isinstance(node, ast.SelectStmt):
        return _effect(None, ["SELECT"])
    if isinstance(node, ast.DoStmt):
        return _effect(None, ["DO block"])
    return _effect(None, ["no table"])


def analyse_sql(
    sql: str, column_type: ColumnTypeLookup | None = None, persistence: PersistenceLookup | None = None
) -> StatementEffect:
    """Convenience for one statement given as text."""
    raw = parser.parse_sql(sql)
    if len(raw) != 1:
        raise ValueError("analyse_sql expects exactly one statement")
    return analyse_statement(raw[0].stmt, column_type, persistence)


def combine(effects: Iterable[StatementEffect]) -> StatementEffect:
    """The effect of a DO block: its statements' strongest lock and costliest effect, on the first table."""
    effects = list(effects)
    locks: dict[str, LockMode] = {}
    for effect in effects:
        for lock in effect.locks:
            if lock.table not in locks or lock.mode.strength > locks[lock.table].strength:
                locks[lock.table] = lock.mode
    modes = [e.lock_mode for e in effects if e.lock_mode is not None]
    target = next((e.object for e in effects if e.object), None)
    return StatementEffect(
        object=target,
        lock_mode=max(modes, key=lambda mode: mode.strength) if modes else None,
        effect=max((e.effect for e in effects), key=lambda e: e.cost, default=Effect.NONE),
        actions=("DO block", *dict.fromkeys(a for e in effects for a in e.actions)),
        locks=tuple(TableLock(table, mode) for table, mode in locks.items()),
        notes=tuple(dict.fromkeys(n for e in effects for n in e.notes)),
    )
