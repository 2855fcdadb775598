"""``apply --online``: a plan as a sequence of short steps, derived from its statements by lint's lock/effect table.

Every step either holds only locks that let ordinary reads and writes go on, or holds a blocking lock only for
a catalog change (milliseconds once granted, and never waited for longer than the online ``lock_timeout``):

=============  ==========================================  =====================================================
kind           from                                        lock while it runs
=============  ==========================================  =====================================================
``catalog``    catalog-only statements (ADD COLUMN with a  the statements' own (ACCESS EXCLUSIVE at most), held
               constant default, COMMENT, CREATE TABLE of  for milliseconds; one transaction per group of
               new objects, CHECK/FK added ``NOT VALID``)  consecutive statements on at most one existing table
``index``      CREATE [UNIQUE] INDEX on an existing table  SHARE UPDATE EXCLUSIVE (``CONCURRENTLY``, no
                                                           transaction)
``drop-index`` DROP INDEX on an existing table             SHARE UPDATE EXCLUSIVE (``CONCURRENTLY``)
``validate``   ADD CONSTRAINT CHECK/FK (after the          SHARE UPDATE EXCLUSIVE (FK: also ROW SHARE on the
               ``NOT VALID`` add), VALIDATE CONSTRAINT     referenced table), own transaction
``retype``     INT -> BIGINT ``ALTER COLUMN ... TYPE``     ACCESS SHARE per copy batch (online_copy.py; ROW
                                                           EXCLUSIVE per backfill batch where the table falls
                                                           back to shadow columns, online.py); ACCESS EXCLUSIVE
                                                           for the catalog-only install and swap; SHARE UPDATE
                                                           EXCLUSIVE for the validations and the VACUUM ANALYZE
``blocking``   anything else on an existing table          the statement's own, for as long as it runs: refused
               (rewrite, full scan under a write-blocking  unless ``--allow-blocking``
               lock, dynamic SQL)
=============  ==========================================  =====================================================

A plan's later ``CREATE INDEX`` on a table a ``retype`` step copies is built on the copy by that step, by sort
and before the swap (one scan of a table nobody reads instead of two of the live one), when it is a plain
non-unique index and nothing between the retype and it changes the table otherwise (``_copy_window``); its own
``index`` step stays, confirms the index, and builds it concurrently only if the copy did not (the table fell
back to shadow columns at run time, or plain apply finished the plan). The plan's catalog-only ``ADD COLUMN``s
on the table in that window go on the copy as it is created (``_add_on_copy``), so an index on a column the
plan adds is built there too; their own statements stay (``IF NOT EXISTS``) and find the columns after the swap.

A guarded ``DO`` block (plan 001's ``IF NOT EXISTS ... ADD CONSTRAINT ... CHECK``) is read through lint's
PL/pgSQL extraction: each single-clause ``ADD CONSTRAINT`` CHECK/FK in its body gets ``NOT VALID`` appended in
place (the block still runs as written otherwise), and a ``validate`` step follows the block.

Derivation reads the catalog only (lint's catalog and the online retype's qualification queries); it writes
nothing, so ``plan`` and ``apply --online --dry-run`` show exactly the steps ``apply --online`` will run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pglast import ast, parse_sql
from pglast.enums import AlterTableType, ConstrType, ObjectType
from pglast.stream import RawStream
from pglast.visitors import Visitor
from psycopg import sql
from pydantic import BaseModel, ConfigDict

from bhq_migrate.catalog import Catalog, Table
from bhq_migrate.lint.analysis import Effect, LockMode, display_name
from bhq_migrate.lint.context import AnalysedStatement, LintContext
from bhq_migrate.lint.source import SourceFile
from bhq_migrate.migrate.online import is_bigint
from bhq_migrate.migrate.online_copy import COPY_INDEX_PREFIX, copy_name
from bhq_migrate.migrate.preflight import REWRITE_BYTES_PER_SECOND
from bhq_migrate.plans import Plan

SCAN_BYTES_PER_SECOND = REWRITE_BYTES_PER_SECOND * 4
# The online retype copies the table and builds its indexes by sort, like a rewrite, then validates its foreign
# keys: about 1.5x a rewrite's cost on 2M invoices, spread over many short transactions, and about 2x with the
# default rest after each copy batch (--online-batch-pause-ms 35 after 50 ms batches: the batches, a third of the
# work or more, take 1.7x as long; bench/RESULTS.md).
COPY_BYTES_PER_SECOND = REWRITE_BYTES_PER_SECOND / 2.0
# Where a table falls back to shadow columns, the backfill writes a second version of every row and, for a third
# of them, their index entries: about 2.5x a rewrite's cost (bench/RESULTS.md). The backfill is nearly all
# batches, so the default rest after each adds about 0.7 of that (an estimate, not measured).
BACKFILL_BYTES_PER_SECOND = REWRITE_BYTES_PER_SECOND / 4.5

STEP_KINDS = ("catalog", "index", "drop-index", "validate", "retype", "blocking")


class Step(BaseModel):
    """One step of a plan under ``apply --online``; stored as JSON in ``bhq_migrate.steps`` when the plan starts."""

    model_config = ConfigDict(frozen=True)

    number: int
    kind: str
    description: str
    sql: tuple[str, ...] = ()
    """Statements as they will be sent (CONCURRENTLY / NOT VALID added where the step needs it)."""
    lines: tuple[int, ...] = ()
    """Plan file lines of the statements this step comes from."""
    table: str | None = None
    """Display name of the existing table the step locks or works on."""
    lock: str = ""
    """The strongest lock the step holds on ``table`` (``pg_locks`` wording is ``LockMode.pg_locks_name``)."""
    blocking: bool = False
    reason: str = ""
    """For a blocking step: why it cannot be made non-blocking."""
    estimated_rows: int | None = None
    total_bytes: int | None = None
    estimated_seconds: float | None = None
    schema_name: str = ""
    table_name: str = ""
    """The table as stored (``public``, ``Invoice``) for retype, index and validate steps."""
    columns: tuple[str, ...] = ()
    """retype: the columns made bigint."""
    index_name: str = ""
    """index / drop-index: the index's name (schema is ``schema_name``)."""
    unique: bool = False
    changes_result_types: bool = False
    """retype: queries returning these columns change result type (prepared statements must be re-prepared)."""
    copied: bool = False
    """retype: the table is copied (online_copy.py), so the disk holds it twice until its swap; else shadow columns."""
    copy_columns: tuple[tuple[str, str], ...] = ()
    """retype (copied): the columns the plan's later catalog-only ``ADD COLUMN``s add to the table, added to the copy
    as it is created, in the plan's order, so that the plan's indexes on them are built on the copy too; as
    (column, ALTER TABLE ... ADD COLUMN IF NOT EXISTS on the copy). The plan's own statement stays, and finds the
    column there after the swap."""
    copy_indexes: tuple[tuple[str, str, str], ...] = ()
    """retype (copied): the plan's own later indexes on the table, built on the copy by sort before the swap, as
    (name, name on the copy until the swap, CREATE INDEX on the copy)."""
    on_copy: int = 0
    """index: the retype step that builds this index on the table's copy; this step then only confirms it, and
    builds it concurrently if the copy did not (the table fell back to shadow columns, or plain apply finished)."""
    validated_later: tuple[str, ...] = ()
    """retype: the tables (quoted ``"schema"."table"``) that the plan's later retype steps copy. Their swaps add
    the foreign keys on or pointing at them back NOT VALID once more, so this step leaves those to be validated
    after them (online_copy.validate_pending); the plan's last retype step validates whatever is left."""

    def summary(self) -> str:
        where = f" on {self.table}" if self.table else ""
        return f"{self.kind}{where}: {self.description}"


class PlanSteps(BaseModel):
    plan: str
    name: str
    steps: list[Step]

    @property
    def blocking(self) -> list[Step]:
        return [step for step in self.steps if step.blocking]

    @property
    def estimated_seconds(self) -> float:
        return round(sum(step.estimated_seconds or 0 for step in self.steps), 2)

    @property
    def copy_peak_bytes(self) -> int | None:
        """Free disk the plan's table copies need at their peak: the largest copied table with its indexes. The
        copies run one after another and each old table is dropped right after its swap; WAL comes on top."""
        sizes = [step.total_bytes for step in self.steps if step.copied and step.total_bytes is not None]
        return max(sizes, default=None)

    @property
    def retyped_tables(self) -> list[str]:
        return list(dict.fromkeys(step.table for step in self.steps if step.changes_result_types and step.table))


def qname(qualified: str) -> tuple[str, str]:
    """``schema.name`` (as lint writes names) -> the catalog's key."""
    schema, _, name = qualified.partition(".")
    return (schema, name)


RetypeCheck = Callable[[tuple[str, str], list[str]], "str | None"]
"""(table, columns) -> None if the online retype can take them, else why not (online.qualify)."""
CopyCheck = Callable[[tuple[str, str]], "str | None"]
"""table -> None if the online retype copies it (online_copy.py), else why not: it then uses shadow columns."""


@dataclass
class _Builder:
    catalog: Catalog
    retype_check: RetypeCheck
    copy_check: CopyCheck | None = None
    steps: list[dict[str, Any]] = field(default_factory=list)
    group: dict[str, Any] | None = None
    group_tables: set[str] = field(default_factory=set)
    copies: dict[str, tuple[dict[str, Any], int]] = field(default_factory=dict)
    """Tables a retype step copies, and that step (raw, number), while the plan's later indexes on the table can
    still be built on the copy instead (see ``_copy_window``)."""

    def size(self, table: str | None) -> Table | None:
        return self.catalog.tables.get(qname(table or ""))

    def flush(self) -> None:
        if self.group is not None:
            self.steps.append(self.group)
        self.group, self.group_tables = None, set()

    def catalog_statement(self, statement: AnalysedStatement, sql_text: str, existing: set[str], lock: str) -> None:
        """Add to the open catalog group, or open a new one: a group locks at most one existing table, so a
        session queued behind it never waits for more than one lock_timeout."""
        if self.group is not None and existing and self.group_tables and existing | self.group_tables != \
                self.group_tables:
            self.flush()
        if self.group is None:
            self.group = {"kind": "catalog", "sql": [], "lines": [], "table": None, "lock": "", "locks": []}
        self.group["sql"].append(sql_text)
        self.group["lines"].append(statement.unit.position()[0])
        self.group_tables |= existing
        if lock:
            self.group["locks"].append(lock)
        if existing and self.group["table"] is None:
            self.group["table"] = sorted(existing)[0]

    def add(self, **step: Any) -> None:
        self.flush()
        self.steps.append(step)


def derive_steps(
    plan: Plan, source: SourceFile, context: LintContext, catalog: Catalog, retype_check: RetypeCheck,
    copy_check: CopyCheck | None = None,
) -> PlanSteps:
    """The steps of ``plan`` (its ``source`` analysed in ``context`` against ``catalog``), in order."""
    builder = _Builder(catalog, retype_check, copy_check)
    statements = list(context.statements_in(source))
    inner: dict[int, list[AnalysedStatement]] = {}
    for statement in statements:
        if statement.unit.in_do_block:
            inner.setdefault(statement.unit.index, []).append(statement)
    for statement in statements:
        if statement.unit.in_do_block:
            continue
        _classify(builder, statement, inner.get(statement.unit.index, []), context)
    builder.flush()
    steps = [_finish(builder, number, raw) for number, raw in enumerate(builder.steps, start=1)]
    copies = [(step.number, sql.Identifier(step.schema_name, step.table_name).as_string(None))
              for step in steps if step.kind == "retype" and step.copied and step.table_name]
    steps = [step.model_copy(update={"validated_later": tuple(table for later, table in copies
                                                              if later > step.number)})
             if step.kind == "retype" else step for step in steps]
    return PlanSteps(plan=plan.id, name=plan.name, steps=steps)


def _existing_locked(statement: AnalysedStatement, context: LintContext) -> set[str]:
    """Existing tables the statement locks in a mode that blocks writers (what a catalog group must bound)."""
    return {lock.table for lock in statement.effect.locks
            if lock.mode.strength > LockMode.ROW_EXCLUSIVE.strength and context.schema.table_existed(lock.table)}


def _lock_text(statement: AnalysedStatement) -> str:
    return statement.effect.lock_mode.value if statement.effect.lock_mode else ""


def _classify(
    builder: _Builder, statement: AnalysedStatement, inner: list[AnalysedStatement], context: LintContext
) -> None:
    unit, effect = statement.unit, statement.effect
    node = unit.node
    existing = _existing_locked(statement, context)
    target = effect.object or ""
    table_existed = bool(target) and context.schema.table_existed(target)
    line = unit.position()[0]
    columns_on_copy = _copy_window(builder, statement, inner)
    if isinstance(node, ast.IndexStmt) and table_existed:
        _index_step(builder, statement, node, line)
        return
    if isinstance(node, ast.DropStmt) and node.removeType == ObjectType.OBJECT_INDEX:
        _drop_index_step(builder, statement, node, context, line)
        return
    if isinstance(node, ast.AlterTableStmt) and table_existed:
        _alter_table(builder, statement, node, existing, line, columns_on_copy=columns_on_copy)
        return
    if isinstance(node, ast.DoStmt):
        _do_block(builder, statement, inner, existing, context, line)
        return
    if effect.effect in (Effect.NONE, Effect.CATALOG) or not existing:
        builder.catalog_statement(statement, unit.sql, existing, _lock_text(statement))
        return
    _blocking(builder, statement, line, f"{'; '.join(effect.notes)}")


def _blocking(builder: _Builder, statement: AnalysedStatement, line: int, reason: str) -> None:
    effect = statement.effect
    builder.add(kind="blocking", sql=[statement.unit.sql], lines=[line], table=effect.object,
                lock=_lock_text(statement), reason=reason or "not made non-blocking by --online",
                description=_first_line(statement.unit.sql), effect=effect.effect)


def _index_step(builder: _Builder, statement: AnalysedStatement, node: ast.IndexStmt, line: int) -> None:
    if not node.idxname:
        _blocking(builder, statement, line, "an unnamed index: a killed concurrent build's INVALID leftover could "
                                            "not be found again; name the index")
        return
    on_copy = _build_on_copy(builder, node, statement.effect.object or "", statement.unit.sql)
    node = _fresh(node, statement.unit.sql)
    node.concurrent = True
    sql_text = RawStream()(node).strip()
    schema = node.relation.schemaname or "public"
    description = f"{'unique ' if node.unique else ''}index {node.idxname} built concurrently"
    if on_copy:
        description = (f"index {node.idxname} built on the copy by step {on_copy} (concurrently here only if the "
                       "copy did not)")
    builder.add(kind="index", sql=[sql_text], lines=[line], table=statement.effect.object,
                lock=LockMode.SHARE_UPDATE_EXCLUSIVE.value, schema_name=schema, table_name=node.relation.relname,
                index_name=node.idxname, unique=bool(node.unique), effect=Effect.CATALOG if on_copy else Effect.SCAN,
                on_copy=on_copy, description=description)


def _copy_window(builder: _Builder, statement: AnalysedStatement, inner: list[AnalysedStatement]) -> bool:
    """Close the copy windows this statement ends, and say whether it adds its columns to a copy. A plan's index
    can be built on a table's copy, ahead of its place in the plan, only while nothing between the copy and the
    index could change what the index covers: other indexes and catalog-only added columns (which go on the copy
    too, see ``_add_on_copy``) keep a table's window open, as does any statement on another named table, and a
    DO block whose statements lint reads all name other tables; anything else on the table, and any statement
    whose reach is not known named tables (dynamic SQL, DROP), closes it."""
    node, target = statement.unit.node, statement.effect.object or ""
    if not builder.copies or isinstance(node, ast.IndexStmt):
        return False
    if isinstance(node, ast.DropStmt) and node.removeType == ObjectType.OBJECT_INDEX:
        dropped = [_index_table(builder, _index_name(obj)) for obj in node.objects or ()]
        if all(table is not None and table not in builder.copies for table in dropped):
            return False  # indexes of other tables
    if isinstance(node, ast.DoStmt) and not statement.unit.dynamic_sql and inner and all(
            body.effect.object and body.effect.object not in builder.copies for body in inner):
        return False  # plan 001's guarded CHECK on "Tenant"
    if isinstance(node, (ast.DoStmt, ast.DropStmt)) or not target:
        builder.copies.clear()
        return False
    if target not in builder.copies:
        return False
    if isinstance(node, ast.AlterTableStmt) and _add_on_copy(builder, statement, node, target):
        return True
    del builder.copies[target]
    return False


def _add_on_copy(builder: _Builder, statement: AnalysedStatement, node: ast.AlterTableStmt, target: str) -> bool:
    """If every clause of the statement adds a plain column (a constant default at most: what lint calls
    catalog-only) that the table does not have yet, record each as an ``ADD COLUMN IF NOT EXISTS`` on the copy of
    the retype step copying ``target`` and return True. Added in the plan's order, the columns end where the
    plain apply puts them: the copy keeps the table's column order, and whatever the plan adds after the window
    closes comes after them."""
    raw, _number = builder.copies[target]
    live = builder.size(target)
    schema = node.relation.schemaname or "public"
    cmds = list(node.cmds or ())
    if live is None or schema != raw["schema_name"] or statement.effect.effect not in (Effect.NONE, Effect.CATALOG):
        return False
    added = [name for name, _statement in raw.get("copy_columns", [])]
    names: list[str] = []
    for cmd in cmds:
        column = cmd.def_
        if cmd.subtype != AlterTableType.AT_AddColumn or not isinstance(column, ast.ColumnDef) or \
                not _plain_column(column) or column.colname in live.columns or column.colname in [*added, *names]:
            return False
        names.append(str(column.colname))
    for position, name in enumerate(names):
        on_copy = _fresh(node, statement.unit.sql)
        on_copy.cmds = (on_copy.cmds[position],)
        on_copy.cmds[0].missing_ok = True
        on_copy.relation.schemaname, on_copy.relation.relname = schema, copy_name(node.relation.relname)
        raw.setdefault("copy_columns", []).append((name, RawStream()(on_copy).strip()))
    return True


def _plain_column(column: ast.ColumnDef) -> bool:
    """A column whose only clauses are a default, NULL or NOT NULL with a default: on the empty copy it ends as
    on the table (a NOT NULL without a default, a key or a CHECK would be checked against no rows there)."""
    kinds = [constraint.contype for constraint in column.constraints or ()]
    allowed = {ConstrType.CONSTR_DEFAULT, ConstrType.CONSTR_NULL, ConstrType.CONSTR_NOTNULL}
    return set(kinds) <= allowed and (ConstrType.CONSTR_NOTNULL not in kinds or ConstrType.CONSTR_DEFAULT in kinds)


def _index_name(name: Any) -> str:
    """An index named in a DROP INDEX, as ``schema.index`` (``public`` when unqualified)."""
    qualified = ".".join(getattr(part, "sval", "") for part in name)
    return qualified if "." in qualified else f"public.{qualified}"


def _index_table(builder: _Builder, qualified: str) -> str | None:
    """The table (``schema.table``, as lint names it) of index ``schema.index``, if it exists."""
    live = builder.catalog.indexes.get(qname(qualified))
    return f"{live.table[0]}.{live.table[1]}" if live is not None else None


def _build_on_copy(builder: _Builder, node: ast.IndexStmt, table: str, sql_text: str) -> int:
    """If the index can be built on the copy of its table (by sort, before the swap, instead of concurrently
    after it), add it to the copying retype step and return that step's number; else 0. Only plain non-unique
    indexes on columns the table has before the plan or that the plan adds to the copy (``_add_on_copy``): a
    unique build's duplicates are reported by the concurrent build."""
    copying = builder.copies.get(table)
    if copying is None or node.unique or node.tableSpace or not node.idxname:
        return 0
    raw, number = copying
    schema = node.relation.schemaname or "public"
    live = builder.size(table)
    names = _column_names(node)
    added = {name for name, _statement in raw.get("copy_columns", [])}
    if live is None or names is None or not names <= set(live.columns) | added or (schema, node.idxname) in \
            builder.catalog.indexes or schema != raw["schema_name"]:
        return 0
    on_copy = _fresh(node, sql_text)
    temp = f"{COPY_INDEX_PREFIX}{hashlib.sha256(node.idxname.encode()).hexdigest()[:16]}"
    on_copy.idxname, on_copy.if_not_exists, on_copy.concurrent = temp, False, False
    on_copy.relation.schemaname, on_copy.relation.relname = schema, copy_name(node.relation.relname)
    raw.setdefault("copy_indexes", []).append((node.idxname, temp, RawStream()(on_copy).strip()))
    return number


def _column_names(node: ast.IndexStmt) -> set[str] | None:
    """The columns an index's keys, INCLUDE list and predicate name; None if a key is an expression."""
    names: set[str] = set()
    for param in [*(node.indexParams or ()), *(node.indexIncludingParams or ())]:
        if not param.name:
            return None
        names.add(param.name)

    class Columns(Visitor):  # type: ignore[misc]
        def visit_ColumnRef(self, _ancestors: Any, ref: ast.ColumnRef) -> None:
            last = (ref.fields or ())[-1:]
            names.update(str(getattr(field_, "sval", "")) for field_ in last)

    if node.whereClause is not None:
        Columns()(node.whereClause)
    return names


def _drop_index_step(
    builder: _Builder, statement: AnalysedStatement, node: ast.DropStmt, context: LintContext, line: int
) -> None:
    names = [_index_name(obj) for obj in node.objects or ()]
    qualified = names[0] if names else "public."
    table = _index_table(builder, qualified)
    if len(names) != 1 or node.behavior != 0 or table is None:
        # Several indexes, CASCADE, or an index that does not exist (IF EXISTS): a catalog-only statement.
        builder.catalog_statement(statement, statement.unit.sql, set(), _lock_text(statement))
        return
    node = _fresh(node, statement.unit.sql)
    node.concurrent = True
    schema, _, index = qualified.partition(".")
    builder.add(kind="drop-index", sql=[RawStream()(node).strip()], lines=[line], table=table,
                lock=LockMode.SHARE_UPDATE_EXCLUSIVE.value, schema_name=schema, index_name=index,
                table_name=table.partition(".")[2], effect=Effect.CATALOG, description=f"index {index} dropped "
                "concurrently")


def _not_valid(cmd: ast.AlterTableCmd) -> str | None:
    """CHECK or FOREIGN KEY being added with validation: the constraint's name, else None."""
    constraint = cmd.def_
    if (cmd.subtype == AlterTableType.AT_AddConstraint and isinstance(constraint, ast.Constraint)
            and constraint.contype in (ConstrType.CONSTR_CHECK, ConstrType.CONSTR_FOREIGN)
            and not constraint.skip_validation):
        return constraint.conname or ""
    return None


def _alter_table(
    builder: _Builder, statement: AnalysedStatement, node: ast.AlterTableStmt, existing: set[str], line: int,
    *, columns_on_copy: bool = False,
) -> None:
    cmds = list(node.cmds or ())
    table = statement.effect.object or ""
    key = (node.relation.schemaname or "public", node.relation.relname)
    retypes = [cmd for cmd in cmds if cmd.subtype == AlterTableType.AT_AlterColumnType]
    if retypes and len(retypes) == len(cmds) and "ALTER COLUMN TYPE" in statement.effect.actions:
        bigint = all(isinstance(c.def_, ast.ColumnDef) and c.def_.raw_default is None and is_bigint(c.def_.typeName)
                     for c in cmds)
        columns = [str(c.name) for c in cmds]
        why = builder.retype_check(key, columns) if bigint else "only INT -> BIGINT without USING is done online"
        if why is None:
            not_copied = builder.copy_check(key) if builder.copy_check is not None else None
            how = ("copy of the table in time-sized batches, indexes built on it, VACUUM ANALYZE of the copy, "
                   "short swap, foreign keys validated" if not_copied is None else
                   f"shadow column(s) and backfill in time-sized batches (not copied: {not_copied}), short swap, "
                   "VACUUM ANALYZE")
            lock = LockMode.ACCESS_SHARE if not_copied is None else LockMode.ROW_EXCLUSIVE
            builder.add(kind="retype", table=table, lock=lock.value, schema_name=key[0],
                        table_name=key[1], columns=columns, lines=[line], effect=Effect.REWRITE,
                        changes_result_types=True, copied=not_copied is None,
                        description=f"{', '.join(columns)} -> bigint: {how}")
            if not_copied is None:
                builder.copies[table] = (builder.steps[-1], len(builder.steps))
            # The retype step does what the statement says. Running the statement after it would change nothing
            # but would take ACCESS EXCLUSIVE once more and discard the statistics ANALYZE just gathered.
            return
        _blocking(builder, statement, line, f"ALTER COLUMN TYPE rewrites the table: {why}")
        return
    validations = [_not_valid(cmd) for cmd in cmds]
    if len(cmds) == 1 and validations[0] is not None:
        name = validations[0]
        if not name:
            _blocking(builder, statement, line, "an unnamed constraint cannot be validated separately; name it")
            return
        node = _fresh(node, statement.unit.sql)
        node.cmds[0].def_.skip_validation = True
        builder.catalog_statement(statement, RawStream()(node).strip(), existing, _lock_text(statement))
        _validate_step(builder, statement, key, name, line)
        return
    if statement.effect.effect in (Effect.NONE, Effect.CATALOG):
        sql_text = statement.unit.sql
        if columns_on_copy and not all(cmd.missing_ok for cmd in cmds):
            # The copy brings the columns; after its swap the plan's own ADD COLUMN must find them and go on.
            node = _fresh(node, statement.unit.sql)
            for cmd in node.cmds:
                cmd.missing_ok = True
            sql_text = RawStream()(node).strip()
        builder.catalog_statement(statement, sql_text, existing, _lock_text(statement))
        return
    if statement.effect.actions == ("VALIDATE CONSTRAINT",):
        builder.add(kind="validate", sql=[statement.unit.sql], lines=[line], table=table, schema_name=key[0],
                    table_name=key[1], lock=LockMode.SHARE_UPDATE_EXCLUSIVE.value, effect=Effect.SCAN,
                    description=f"constraint {cmds[0].name} validated")
        return
    if any(v is not None for v in validations):
        reason = "ADD CONSTRAINT together with other clauses: split it into its own ALTER TABLE"
    else:
        reason = "; ".join(statement.effect.notes)
    _blocking(builder, statement, line, reason)


def _validate_step(builder: _Builder, statement: AnalysedStatement, key: tuple[str, str], name: str,
                   line: int) -> None:
    from psycopg import sql

    statement_sql = sql.SQL("ALTER TABLE {} VALIDATE CONSTRAINT {}").format(sql.Identifier(*key), sql.Identifier(name))
    builder.add(kind="validate", sql=[statement_sql.as_string(None)],
                lines=[line], table=f"{key[0]}.{key[1]}", schema_name=key[0], table_name=key[1],
                lock=LockMode.SHARE_UPDATE_EXCLUSIVE.value, effect=Effect.SCAN,
                description=f"constraint {name} validated (added NOT VALID just before)")


def _do_block(
    builder: _Builder, statement: AnalysedStatement, inner: list[AnalysedStatement], existing: set[str],
    context: LintContext, line: int,
) -> None:
    if statement.unit.dynamic_sql:
        _blocking(builder, statement, line, "a DO block running dynamic SQL (EXECUTE): its locks cannot be known")
        return
    text = statement.unit.sql
    cursor = 0
    validations: list[tuple[tuple[str, str], str]] = []
    for body in inner:
        node = body.unit.node
        found = text.find(body.unit.sql, cursor)
        cursor = found + len(body.unit.sql) if found >= 0 else cursor
        target = body.effect.object or ""
        if not target or not context.schema.table_existed(target) or body.effect.effect in (Effect.NONE,
                                                                                            Effect.CATALOG):
            continue
        cmds = list(node.cmds or ()) if isinstance(node, ast.AlterTableStmt) else []
        name = _not_valid(cmds[0]) if len(cmds) == 1 else None
        if name and found >= 0:
            node = _fresh(node, body.unit.sql)
            node.cmds[0].def_.skip_validation = True
            rewritten = RawStream()(node).strip()
            text = text[:found] + rewritten + text[found + len(body.unit.sql):]
            cursor = found + len(rewritten)
            relation = node.relation
            validations.append(((relation.schemaname or "public", relation.relname), name))
            continue
        _blocking(builder, statement, line, f"the DO block runs {'; '.join(body.effect.actions)} on "
                                            f"{display_name(target)}: {'; '.join(body.effect.notes)}")
        return
    builder.catalog_statement(statement, text, existing, _lock_text(statement))
    for key, name in validations:
        _validate_step(builder, statement, key, name, line)


def _fresh(node: Any, sql_text: str) -> Any:
    """A private copy of a statement's tree to rewrite: the plan's own tree is shared with lint and pre-flight."""
    copy = parse_sql(sql_text)[0].stmt
    assert type(copy) is type(node)
    return copy


def _first_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= 90 else line[:87] + "..."


def _finish(builder: _Builder, number: int, raw: dict[str, Any]) -> Step:
    table = raw.get("table")
    size = builder.size(table)
    kind = raw["kind"]
    lock = raw.get("lock", "")
    if kind == "catalog":
        locks = [LockMode(mode) for mode in raw.get("locks", []) if mode]
        lock = max(locks, key=lambda mode: mode.strength).value if locks else ""
        count = len(raw["sql"])
        raw["description"] = f"{count} catalog-only statement(s): {_first_line(raw['sql'][0])}" if count > 1 else \
            _first_line(raw["sql"][0])
    if raw.get("copy_columns"):
        count = len(raw["copy_columns"])  # their names: plan --format json, copy_columns
        raw["description"] += f", with the plan's {count} added column{'s' if count > 1 else ''}"
    if raw.get("copy_indexes"):
        raw["description"] += (" and" if raw.get("copy_columns") else ", with the plan's") + " index(es) " + \
            ", ".join(name for name, _, _ in raw["copy_indexes"])
    effect = raw.get("effect", Effect.CATALOG)
    seconds: float | None = None
    if size is not None:
        if kind == "retype":
            rate = COPY_BYTES_PER_SECOND if raw.get("copied", True) else BACKFILL_BYTES_PER_SECOND
            # The plan's indexes built on the copy: a scan and a sort each, about what one concurrent scan costs.
            extra = len(raw.get("copy_indexes", ())) * size.heap_bytes / SCAN_BYTES_PER_SECOND
            seconds = round(size.total_bytes / rate + extra, 2)
        elif effect is Effect.REWRITE:
            seconds = round(size.total_bytes / REWRITE_BYTES_PER_SECOND, 2)
        elif effect is Effect.SCAN:
            seconds = round(size.heap_bytes / SCAN_BYTES_PER_SECOND, 2)
        elif effect in (Effect.CATALOG, Effect.NONE):
            seconds = 0.0
    return Step(
        number=number, kind=kind, description=raw["description"], sql=tuple(raw.get("sql", ())),
        lines=tuple(raw.get("lines", ())), table=display_name(table) if table else None, lock=lock,
        blocking=kind == "blocking", reason=raw.get("reason", ""),
        estimated_rows=size.estimated_rows if size else None, total_bytes=size.total_bytes if size else None,
        estimated_seconds=seconds, schema_name=raw.get("schema_name", ""), table_name=raw.get("table_name", ""),
        columns=tuple(raw.get("columns", ())), index_name=raw.get("index_name", ""), unique=raw.get("unique", False),
        changes_result_types=raw.get("changes_result_types", False),
        copied=kind == "retype" and raw.get("copied", True),
        copy_columns=tuple(tuple(column) for column in raw.get("copy_columns", ())),
        copy_indexes=tuple(tuple(index) for index in raw.get("copy_indexes", ())), on_copy=raw.get("on_copy", 0),
    )


def derive_all(
    plans: Sequence[Plan], catalog: Catalog, retype_check: RetypeCheck, copy_check: CopyCheck | None = None
) -> list[PlanSteps]:
    """Steps of every plan, analysed together as lint does (a table an earlier plan creates counts as new)."""
    from bhq_migrate.lint.context import LintOptions, build_context
    from bhq_migrate.lint.source import source_from_plan

    sources = [source_from_plan(plan) for plan in plans]
    context = build_context(sources, LintOptions(runner_sets_lock_timeout=True), catalog)
    return [derive_steps(plan, source, context, catalog, retype_check, copy_check)
            for plan, source in zip(plans, sources, strict=True)]


def _seconds(effect: Effect, size: Table | None) -> float:
    if size is None:
        return 0.0
    if effect is Effect.REWRITE:
        return float(size.total_bytes) / REWRITE_BYTES_PER_SECOND
    if effect is Effect.SCAN:
        return float(size.heap_bytes) / SCAN_BYTES_PER_SECOND
    return 0.0


class BlockingHold(BaseModel):
    plan: str
    table: str
    lock: str
    seconds: float


def blocking_holds(plans: Sequence[Plan], catalog: Catalog) -> list[BlockingHold]:
    """How long a plain apply would hold a write-blocking lock on each existing table: a plan's transaction keeps
    every lock from the statement that takes it until the plan commits, so the hold is the estimated duration of
    that statement and every later one (from the catalog's sizes, at pre-flight's rates)."""
    from bhq_migrate.lint.context import LintOptions, build_context
    from bhq_migrate.lint.source import source_from_plan

    sources = [source_from_plan(plan) for plan in plans]
    context = build_context(sources, LintOptions(runner_sets_lock_timeout=True), catalog)
    holds: list[BlockingHold] = []
    for plan, source in zip(plans, sources, strict=True):
        statements = [s for s in context.statements_in(source) if not s.unit.in_do_block]
        costs = [_seconds(s.effect.effect, catalog.tables.get(qname(s.effect.object or ""))) for s in statements]
        first: dict[str, tuple[int, LockMode]] = {}
        for index, statement in enumerate(statements):
            for lock in statement.effect.locks:
                if lock.mode.strength >= LockMode.SHARE.strength and qname(lock.table) in catalog.tables:
                    held = first.get(lock.table)
                    if held is None:
                        first[lock.table] = (index, lock.mode)
                    elif lock.mode.strength > held[1].strength:
                        first[lock.table] = (held[0], lock.mode)
        if not plan.transactional:
            continue  # statement by statement: no lock outlives its statement
        for table, (index, mode) in first.items():
            holds.append(BlockingHold(plan=plan.id, table=display_name(table), lock=mode.value,
                                      seconds=round(sum(costs[index:]), 4)))
    return holds


__all__ = ["STEP_KINDS", "BlockingHold", "PlanSteps", "Step", "blocking_holds", "derive_all", "derive_steps"]
