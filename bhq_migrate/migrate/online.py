"""Online INT -> BIGINT retypes: shadow columns, a copy trigger, batched backfill, a short swap.

``apply --online`` copies the table instead where it can (online_copy.py: each row written once, indexes built
by sort); this module is its fallback for tables a copy cannot carry, and all of ``--online-retype``.

A plain ``ALTER TABLE ... ALTER COLUMN ... TYPE bigint`` rewrites the whole table under ACCESS EXCLUSIVE
(about 5.5 s on 2M invoices, bench/RESULTS.md). ``apply --online-retype`` does the same retype before the
plan's transaction, in steps that each hold a lock for milliseconds:

1. one short transaction adds a nullable ``"<col>__bhq_new" bigint`` per column (catalog only) and a
   ``BEFORE INSERT OR UPDATE`` trigger that copies every new or changed value into its shadow column. Its
   ``WHEN`` clause skips rows whose shadow values already match (the backfill's own updates, and application
   updates that leave the columns alone): the condition is evaluated in C, the PL/pgSQL call it avoids costs
   a function call and a copy of the whole row, for each of the millions of rows the backfill writes;
2. a backfill copies the existing rows by primary-key range, one short transaction per batch, and only rows
   whose shadow value differs (``IS DISTINCT FROM``), so a re-run after a crash resumes where it stopped. Each
   key range is copied in a few slices of its keys (``mod(key, 100)``), each committed before the next: the first
   slice's new row versions leave their full pages, and once it commits PostgreSQL prunes the old versions
   and the later slices' versions fit on the same page as HOT updates, which write no index entry (see
   ``hot_slices``: 40 % less time and a third less table growth on 2M invoices, bench/RESULTS.md);
3. for NOT NULL columns one ``CHECK (shadow_a IS NOT NULL AND shadow_b IS NOT NULL ...) NOT VALID`` per table
   is added and validated: one scan of the table whatever the number of columns (the validation scans under
   SHARE UPDATE EXCLUSIVE, which does not block reads or writes);
4. one short transaction swaps: drop the trigger, drop the old column, rename the shadow, restore the
   default, comment and NOT NULL (PostgreSQL 12+ proves NOT NULL from the validated CHECK without a scan),
   drop the helper CHECK. Nothing in it reads the table's rows.

The plan's own ``ALTER COLUMN ... TYPE bigint`` then finds bigint columns, and PostgreSQL skips the rewrite for
a same-type change (the relfilenode stays; tests/migrate/test_online.py checks it). The plan still commits
with its history row in one transaction, exactly as without the flag.

A table is done online only if every column the plans retype on it qualifies (otherwise the plan rewrites the
table anyway and nothing is gained): integer -> bigint without USING, an existing plain table with a one-column
integer primary key, and no object depending on the column except its own default (an index, constraint,
view, sequence, generated column or statistics object would have to be rebuilt around the swap). Tables that
do not qualify are left to the plan's normal rewrite, with a warning that says why.

The retyped column moves to the end of the column list (PostgreSQL cannot insert a column in place).
Prisma and ``verify`` match columns by name, so the order does not matter to them; ``SELECT *`` consumers
see the new order.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

import psycopg
from pglast import ast
from pglast.enums.parsenodes import AlterTableType
from pglast.stream import RawStream
from psycopg import sql
from pydantic import BaseModel

from bhq_migrate.catalog import Catalog, Part, Table, read_catalog
from bhq_migrate.errors import OnlineRetypeRefused
from bhq_migrate.migrate import checkpoints
from bhq_migrate.plans import Plan

Connection = psycopg.Connection[Any]
TableKey = tuple[str, str]
T = TypeVar("T")

SHADOW_SUFFIX = "__bhq_new"
NOT_NULL_SUFFIX = "__bhq_not_null"
# BEFORE ROW triggers fire in name order: "zzz_" makes the copy run after any other BEFORE trigger that might
# still change NEW, so the shadow column always receives the value that is actually stored.
TRIGGER_NAME = "zzz_bhq_online_retype"
FUNCTION_SUFFIX = "__bhq_online_retype"
MAX_IDENTIFIER = 63
_INTEGER_TYPES = ("smallint", "integer")
_KEY_TYPES = ("smallint", "integer", "bigint")

Retrying = Callable[[Callable[[], T], str], T]
"""Runs ``work`` in a transaction under lock_timeout, retrying lock timeouts (the runner's retry loop)."""


class OnlineRetype(BaseModel):
    """What ``--online-retype`` did to one table (reported in ApplyResult.online)."""

    table: str
    columns: list[str]
    plan: str = ""
    """The plan whose retypes these are; its transaction ran after this."""
    rows_backfilled: int = 0
    batches: int = 0
    swap_attempts: int = 0
    duration_ms: int = 0


class AfterSwap(BaseModel):
    """One run of ``--after-swap CMD`` (exit code -1: stopped after its timeout)."""

    plan: str
    table: str
    exit_code: int


@dataclass
class _Column:
    name: str
    type_name: str
    not_null: bool
    default: str | None
    comment: str | None
    blockers: list[str]


@dataclass
class RetypedTable:
    """A table an online retype works on (shadow columns here, a copy in online_copy.py)."""

    table: TableKey

    @property
    def display(self) -> str:
        schema, name = self.table
        ident = sql.Identifier(name).as_string(None)
        return ident if schema == "public" else f"{sql.Identifier(schema).as_string(None)}.{ident}"

    @property
    def relation(self) -> sql.Identifier:
        return sql.Identifier(*self.table)


@dataclass
class TableRetype(RetypedTable):
    """One table to retype online: its columns and everything needed to recreate them."""

    key: str
    columns: list[_Column] = field(default_factory=list)
    bytes_per_row: float | None = None
    """The heap's bytes per row as of the last ANALYZE (page overhead included); None when unknown."""
    only_columns_refuse: bool = False
    """The shadow columns are refused only because of the columns themselves (objects depending on them, the
    shadow name's length): a copy of the table (online_copy.py) rebuilds those objects and may still take it."""

    @property
    def function(self) -> sql.Identifier:
        return sql.Identifier(self.table[0], f"{self.table[1]}{FUNCTION_SUFFIX}"[:MAX_IDENTIFIER])

    @property
    def check_name(self) -> str:
        """The helper CHECK proving the NOT NULL shadow columns (one per table, see step 3)."""
        return f"{self.table[1]}{NOT_NULL_SUFFIX}"[:MAX_IDENTIFIER]


def shadow(column: str) -> str:
    return column + SHADOW_SUFFIX


def bigint_retypes(plans: Sequence[Plan]) -> dict[TableKey, list[str]]:
    """``ALTER COLUMN ... TYPE bigint`` clauses (without USING) on tables the plans do not create themselves."""
    created: set[TableKey] = set()
    found: dict[TableKey, list[str]] = {}
    for plan in plans:
        for statement in plan.statements:
            node = statement.node  # the plan's own parse, shared with pre-flight and lint
            if isinstance(node, ast.CreateStmt):
                created.add(_key(node.relation))
            if not isinstance(node, ast.AlterTableStmt) or node.relation is None:
                continue
            table = _key(node.relation)
            for cmd in node.cmds or ():
                if (cmd.subtype == AlterTableType.AT_AlterColumnType and isinstance(cmd.def_, ast.ColumnDef)
                        and cmd.def_.raw_default is None and table not in created
                        and is_bigint(cmd.def_.typeName) and cmd.name not in found.get(table, [])):
                    found.setdefault(table, []).append(cmd.name)
    return found


def _key(relation: ast.RangeVar) -> TableKey:
    return (relation.schemaname or "public", relation.relname)


def is_bigint(type_name: ast.TypeName) -> bool:
    return RawStream()(type_name).lower() in ("bigint", "int8", "pg_catalog.int8")


_ONLINE_PARTS = Part.COLUMNS | Part.CONSTRAINTS | Part.DEPENDENTS
"""What the online planner reads from the shared catalog about the tables it retypes."""


def plan_online(
    conn: Connection, plans: Sequence[Plan], min_rows: int, warn: Callable[[str], None]
) -> list[TableRetype]:
    """The tables of ``plans`` that will be retyped online; a warning for each that falls back, and why."""
    chosen: list[TableRetype] = []
    retypes = bigint_retypes(plans)
    if not retypes:
        return chosen
    catalog = read_catalog(conn, _ONLINE_PARTS, schemas={schema for schema, _ in retypes}, tables=set(retypes))
    for table, columns in retypes.items():
        retype, reason = _table_retype(conn, catalog, table, columns, min_rows)
        if reason is not None and retype is not None:
            warn(f"{retype.display} is retyped by the plan's normal rewrite, not online: {reason}")
        elif retype is not None:
            chosen.append(retype)
    return chosen


def table_retype(
    conn: Connection, table: TableKey, columns: list[str], min_rows: int = 0
) -> tuple[TableRetype | None, str | None]:
    """(the retype still to do, or None when there is nothing left: table missing or columns already bigint;
    why it cannot be done online, or None)."""
    catalog = read_catalog(conn, _ONLINE_PARTS, schemas={table[0]}, tables={table})
    return _table_retype(conn, catalog, table, columns, min_rows)


def _table_retype(
    conn: Connection, catalog: Catalog, table: TableKey, columns: list[str], min_rows: int
) -> tuple[TableRetype | None, str | None]:
    live = catalog.tables.get(table)
    if live is None:
        return None, None  # missing tables are pre-flight's business
    relkind, inherits = live.kind, live.has_inheritance
    estimated_rows = live.estimated_rows if live.analyzed else None
    key = _batch_key(catalog, live)
    found = {column.name: column for column in _columns(catalog, live, columns)}
    pending = [found[c] for c in columns if c in found and found[c].type_name in _INTEGER_TYPES]
    if not pending:
        return None, None  # already bigint (e.g. after an earlier online run), or missing: nothing to do online
    bytes_per_row = live.heap_bytes / estimated_rows if estimated_rows and live.heap_bytes else None
    retype = TableRetype(table, key or "", pending, bytes_per_row)
    reason = _structural_reason(relkind, inherits, key, found, columns)
    if reason is None:
        reason = _column_reason(retype)
        retype.only_columns_refuse = reason is not None
    if reason is None and min_rows > 0:
        rows = estimated_rows if estimated_rows is not None else _count(conn, retype)
        if rows < min_rows:
            reason = f"about {rows:,} rows, below --online-min-rows {min_rows:,}"
    return retype, reason


def qualify(conn: Connection, table: TableKey, columns: list[str]) -> str | None:
    """Why ``columns`` of ``table`` cannot be retyped online, or None (also when there is nothing left to do, or
    the columns do not exist yet because an earlier plan of the run adds them: checked again when it starts)."""
    return table_retype(conn, table, columns)[1]


def _batch_key(catalog: Catalog, table: Table) -> str | None:
    """The one-column integer primary key to batch the backfill by, if there is one."""
    primary_key = catalog.primary_key(table.qname)
    if primary_key is None or len(primary_key.columns) != 1:
        return None
    column = table.columns.get(primary_key.columns[0])
    return column.name if column is not None and column.type in _KEY_TYPES else None


def _read_columns(conn: Connection, table: TableKey, names: list[str]) -> list[_Column]:
    catalog = read_catalog(conn, Part.COLUMNS | Part.DEPENDENTS, schemas={table[0]}, tables={table})
    live = catalog.tables.get(table)
    return _columns(catalog, live, names) if live is not None else []


def _columns(catalog: Catalog, table: Table, names: list[str]) -> list[_Column]:
    found: list[_Column] = []
    for name in names:
        column = table.columns.get(name)
        if column is None:
            continue
        # The copy trigger's WHEN clause depends on the column: it is the retype's own, dropped by the swap.
        blockers = [dependent.description for dependent in catalog.dependents.get((table.qname, name), ())
                    if not dependent.description.startswith(f"trigger {TRIGGER_NAME} on ")]
        blockers += ["a generated column"] if column.generated else []
        blockers += ["an identity column"] if column.identity else []
        blockers += ["column privileges"] if column.has_privileges else []
        found.append(_Column(name, column.type, column.not_null, column.default, column.comment, blockers))
    return found


def _structural_reason(
    relkind: str, inherits: bool, key: str | None, found: dict[str, _Column], columns: list[str]
) -> str | None:
    """Why the table cannot be retyped online by any method."""
    if relkind != "r":
        return "not a plain table"
    if inherits:
        return "it has inheritance parents or children"
    if not key:
        return "no one-column integer primary key to batch by"
    odd = [f'"{c}" ({found[c].type_name})' for c in columns if c in found and found[c].type_name not in
           (*_INTEGER_TYPES, "bigint")]
    if odd:
        return f"{', '.join(odd)} is not an integer column"
    return None


def _column_reason(retype: TableRetype) -> str | None:
    """Why the shadow columns cannot take the columns."""
    for column in retype.columns:
        if len(shadow(column.name).encode()) > MAX_IDENTIFIER:
            return f'the shadow column name for "{column.name}" would exceed {MAX_IDENTIFIER} bytes'
        if column.blockers:
            return f'"{column.name}" is used by {"; ".join(column.blockers)}'
    return None


def has_shadow_columns(conn: Connection, table: TableKey) -> bool:
    """Whether an earlier run left shadow columns on ``table`` (its retype is then finished the same way)."""
    row = conn.execute(
        "SELECT EXISTS (SELECT FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass(%s) AND attname LIKE %s "
        "AND NOT attisdropped)", (sql.Identifier(*table).as_string(None), f"%{SHADOW_SUFFIX}")).fetchone()
    return bool(row and row[0])


def _count(conn: Connection, retype: TableRetype) -> int:
    row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(retype.relation)).fetchone()
    return int(row[0]) if row else 0


# ---- the four steps -------------------------------------------------------------------------------------------

ProgressSink = Callable[[str, int, int], None]
"""(text, batch number, batch count); batch count 0 marks a step rather than backfill progress."""


def retype_online(
    conn: Connection, retype: TableRetype, batch_rows: int, retrying: Retrying[Any], progress: ProgressSink,
    *, batch_ms: float = 0.0, after_swap: Callable[[], None] | None = None, label: str = "",
    clear_way: Callable[[], None] | None = None, pause: Callable[[], None] | None = None,
) -> OnlineRetype:
    """All four steps for one table. ``batch_ms`` > 0 sizes the backfill batches by time (``batch_rows`` is then
    the first batch); ``after_swap`` runs once the swap has committed; ``clear_way`` runs before each part that
    takes a lock stronger than the backfill's ROW EXCLUSIVE (install, check, validate, swap), e.g. to cancel an
    autovacuum that would make it wait; ``pause`` runs after each backfill transaction (``--online-batch-pause-ms``).
    (``apply --online`` then vacuums and analyzes the table.)"""
    started = time.monotonic()
    clear = clear_way or (lambda: None)
    names = ", ".join(f'"{c.name}"' for c in retype.columns)
    progress(f"{retype.display}: shadow bigint column(s) and copy trigger for {names}", 0, 0)
    clear()
    retrying(lambda: install(conn, retype), f"online retype of {retype.display} (install)")
    checkpoints.reached(f"{label} installed")
    if batch_ms > 0:
        batch_rows = min(batch_rows, FIRST_TIMED_BATCH_ROWS)  # then sized by how long each batch takes
    rows, batches = backfill(conn, retype, batch_rows, retrying, progress, batch_ms=batch_ms, label=label,
                             pause=pause)
    not_null = [c for c in retype.columns if c.not_null]
    if not_null:
        progress(f"{retype.display}: validating NOT NULL of the shadow column(s)", 0, 0)
        clear()
        retrying(lambda: add_not_null_check(conn, retype, not_null), f"online retype of {retype.display} (check)")
        clear()  # VALIDATE takes SHARE UPDATE EXCLUSIVE: reads and writes go on
        retrying(partial(_validate, conn, retype), f"online retype of {retype.display} (validate)")
        checkpoints.reached(f"{label} not-null validated")
    progress(f"{retype.display}: swapping the columns", 0, 0)
    attempts = swap_and_report(partial(swap, conn, retype), retrying, f"online retype of {retype.display} (swap)",
                               label=label, clear=clear, after_swap=after_swap)
    return OnlineRetype(table=retype.display, columns=[c.name for c in retype.columns], rows_backfilled=rows,
                        batches=batches, swap_attempts=attempts,
                        duration_ms=int((time.monotonic() - started) * 1000))


def swap_and_report(
    swap_once: Callable[[], None], retrying: Retrying[Any], what: str, *, label: str, clear: Callable[[], None],
    after_swap: Callable[[], None] | None,
) -> int:
    """Run a swap transaction with the usual retries (after clearing the way), then ``after_swap``; returns how
    many attempts the swap took."""
    attempts = [0]

    def attempt() -> None:
        attempts[0] += 1
        swap_once()
        checkpoints.reached(f"{label} swap before commit")

    clear()
    retrying(attempt, what)
    checkpoints.reached(f"{label} swapped")
    if after_swap is not None:
        after_swap()
    return attempts[0]


def install(conn: Connection, retype: TableRetype) -> None:
    """Step 1, idempotent: shadow columns (catalog-only: nullable, no default) and the copy trigger."""
    conn.execute(sql.SQL("ALTER TABLE {} {}").format(retype.relation, sql.SQL(", ").join(
        sql.SQL("ADD COLUMN IF NOT EXISTS {} bigint").format(sql.Identifier(shadow(c.name))) for c in retype.columns)))
    copies = sql.SQL("\n  ").join(
        sql.SQL("NEW.{} := NEW.{};").format(sql.Identifier(shadow(c.name)), sql.Identifier(c.name))
        for c in retype.columns)
    body = sql.SQL("BEGIN\n  {}\n  RETURN NEW;\nEND").format(copies).as_string(conn)
    conn.execute(sql.SQL(
        "CREATE OR REPLACE FUNCTION {}() RETURNS trigger LANGUAGE plpgsql AS {}"
    ).format(retype.function, sql.Literal(body)))
    conn.execute(sql.SQL("DROP TRIGGER IF EXISTS {} ON {}").format(sql.Identifier(TRIGGER_NAME), retype.relation))
    # Skipped when every shadow already holds its column's value (see the module doc): the result is the same.
    stale = sql.SQL(" OR ").join(
        sql.SQL("NEW.{} IS DISTINCT FROM NEW.{}").format(sql.Identifier(shadow(c.name)), sql.Identifier(c.name))
        for c in retype.columns)
    conn.execute(sql.SQL(
        "CREATE TRIGGER {} BEFORE INSERT OR UPDATE ON {} FOR EACH ROW WHEN ({}) EXECUTE FUNCTION {}()"
    ).format(sql.Identifier(TRIGGER_NAME), retype.relation, stale, retype.function))


# Time-sized batches stay within these bounds, and grow or shrink by at most this factor per batch, so one
# slow batch (a checkpoint, a busy disk) does not swing the next one wildly.
MIN_BATCH_ROWS = 100
MAX_BATCH_ROWS = 500_000
MAX_BATCH_GROWTH = 2.0
FIRST_TIMED_BATCH_ROWS = 1_000


def next_batch_rows(rows: int, took_ms: float, target_ms: float) -> int:
    """The next batch's key range: scaled towards ``target_ms`` from how long this one took."""
    factor = target_ms / max(took_ms, 0.1)
    factor = min(max(factor, 1 / MAX_BATCH_GROWTH), MAX_BATCH_GROWTH)
    return int(min(max(rows * factor, MIN_BATCH_ROWS), MAX_BATCH_ROWS))


# The backfill's slices (module doc, step 2). A row version grows by the shadow columns' 8 bytes each and a new
# line pointer; when the estimate of a row's size is missing, this ratio of growth to size is assumed.
HOT_PASSES = 4
DEFAULT_GROWTH_RATIO = 0.3
LINE_POINTER_BYTES = 4


def hot_slices(bytes_per_row: float | None, shadow_columns: int, hot_passes: int | None = None) -> list[int]:
    """Cumulative upper bounds of ``mod(key, 100)`` for each slice of a batch; the last is always 100.

    The first slice's updates cannot be HOT (a freshly loaded page has no room): its new versions go elsewhere,
    and once they commit the page is pruned, freeing a fraction f1 of it. Each later slice writes HOT versions
    into that room, a fraction f of the rows costing f * (1 + r) of it while they are uncommitted and f * r
    once the old versions are pruned, r being the growth ratio. So a slice can be 1 / (1 + r) of the one before,
    and f1 is the smallest first slice after which ``hot_passes`` geometric slices cover every row. Whatever a
    wrong estimate leaves over is copied by the last slice anyway (no modulo test), just not as HOT."""
    hot_passes = HOT_PASSES if hot_passes is None else hot_passes
    growth = 8 * shadow_columns + LINE_POINTER_BYTES
    ratio = growth / bytes_per_row if bytes_per_row and bytes_per_row > growth else DEFAULT_GROWTH_RATIO
    shrink = 1 / (1 + ratio)
    first = (1 - shrink) / (1 - shrink ** (hot_passes + 1))
    cuts: list[int] = []
    covered = 0.0
    for number in range(hot_passes):
        covered += first * shrink ** number
        cut = min(round(covered * 100), 99)
        if not cuts or cut > cuts[-1]:
            cuts.append(cut)
    return [*cuts, 100]


def backfill(
    conn: Connection, retype: TableRetype, batch_rows: int, retrying: Retrying[Any], progress: ProgressSink,
    *, batch_ms: float = 0.0, label: str = "", pause: Callable[[], None] | None = None,
) -> tuple[int, int]:
    """Step 2: copy existing rows by key range, one short transaction per slice of a batch (``hot_slices``).
    Rows inserted or updated from now on are copied by the trigger, so the key range is fixed once, after the
    trigger exists: a steady stream of inserts cannot keep the backfill running. Time-sized batches aim at
    ``batch_ms`` for the longest of their slices' transactions. ``pause`` (if any) runs after each transaction:
    the backfill then leaves the server's CPU to the application for that long, at the cost of wall time."""
    key = sql.Identifier(retype.key)
    bounds = conn.execute(sql.SQL("SELECT min({k}), max({k}) FROM {t}").format(k=key, t=retype.relation)).fetchone()
    if bounds is None or bounds[0] is None:
        return 0, 0
    low, high = int(bounds[0]), int(bounds[1])
    sets = sql.SQL(", ").join(sql.SQL("{} = {}").format(sql.Identifier(shadow(c.name)), sql.Identifier(c.name))
                              for c in retype.columns)
    differs = sql.SQL(" OR ").join(
        sql.SQL("{} IS DISTINCT FROM {}").format(sql.Identifier(shadow(c.name)), sql.Identifier(c.name))
        for c in retype.columns)
    cuts = hot_slices(retype.bytes_per_row, len(retype.columns))
    updates = [_slice_update(retype, sets, differs, lower, upper, upper == 100)
               for lower, upper in zip([0, *cuts[:-1]], cuts, strict=True)]
    copied, number, start, rows = 0, 0, low, batch_rows
    while start <= high:
        number += 1
        stop = min(start + rows, high + 1)
        total = number + (high + 1 - stop + rows - 1) // rows
        progress(f"{retype.display}: backfill keys {start:,}..{stop - 1:,}", number, total)
        longest_ms = 0.0
        for slice_number, update in enumerate(updates, 1):
            began = time.monotonic()
            copied += retrying(
                partial(_copy_batch, conn, update, start, stop, f"{label} backfill batch {number}.{slice_number}"),
                f"online retype of {retype.display} (backfill batch {number})")
            longest_ms = max(longest_ms, (time.monotonic() - began) * 1000)
            if pause is not None:
                pause()
        checkpoints.reached(f"{label} backfill batch {number} committed")
        if batch_ms > 0:
            rows = next_batch_rows(stop - start, longest_ms, batch_ms)
        start = stop
    return copied, number


def _slice_update(
    retype: TableRetype, sets: sql.Composable, differs: sql.Composable, lower: int, upper: int, last: bool
) -> sql.Composed:
    """One slice's UPDATE of a key range. The last slice has no modulo test: it copies whatever is left,
    including negative keys (whose remainder is negative) and rows a wrong estimate left over."""
    key = sql.Identifier(retype.key)
    modulo = sql.SQL("") if last else sql.SQL(" AND mod({k}, 100) >= {lower} AND mod({k}, 100) < {upper}").format(
        k=key, lower=sql.Literal(lower), upper=sql.Literal(upper))
    return sql.SQL("UPDATE {t} SET {sets} WHERE {k} >= %s AND {k} < %s{modulo} AND ({differs})").format(
        t=retype.relation, sets=sets, k=key, modulo=modulo, differs=differs)


def _copy_batch(conn: Connection, update: sql.Composed, start: int, stop: int, label: str = "") -> int:
    copied = max(conn.execute(update, (start, stop)).rowcount, 0)
    checkpoints.reached(f"{label} before commit")
    return copied


def add_not_null_check(conn: Connection, retype: TableRetype, columns: Sequence[_Column]) -> None:
    """Step 3a: one CHECK for all the NOT NULL columns, so that validating it scans the table once; NOT VALID,
    so adding it only touches the catalog (a brief ACCESS EXCLUSIVE, no scan)."""
    existing = {row[0] for row in conn.execute(
        "SELECT conname FROM pg_catalog.pg_constraint WHERE conrelid = %s::regclass",
        (retype.relation.as_string(conn),)).fetchall()}
    if retype.check_name not in existing:
        conn.execute(sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} CHECK ({}) NOT VALID").format(
            retype.relation, sql.Identifier(retype.check_name), sql.SQL(" AND ").join(
                sql.SQL("{} IS NOT NULL").format(sql.Identifier(shadow(c.name))) for c in columns)))


def _validate(conn: Connection, retype: TableRetype) -> None:
    conn.execute(sql.SQL("ALTER TABLE {} VALIDATE CONSTRAINT {}").format(
        retype.relation, sql.Identifier(retype.check_name)))


def _column_check_name(column: _Column) -> str:
    """The one-CHECK-per-column name of earlier versions: a run they left half-done may still have them."""
    return (column.name + NOT_NULL_SUFFIX)[:MAX_IDENTIFIER]


def swap(conn: Connection, retype: TableRetype) -> None:
    """Step 4, in the caller's transaction: only catalog changes, none of which reads the rows.

    The columns' defaults, comments, nullability and dependents are read again under the lock: anything changed
    during the backfill is carried over, and a dependent created meanwhile refuses the swap, because
    ``DROP COLUMN`` would silently drop an index or constraint on the old column.
    """
    conn.execute(sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(retype.relation))
    current = {column.name: column for column in _read_columns(conn, retype.table, [c.name for c in retype.columns])}
    for column in retype.columns:
        now = current.get(column.name)
        if now is None or now.type_name not in _INTEGER_TYPES or now.blockers:
            why = "it is gone or no longer an integer" if now is None or not now.blockers else (
                f"it is now used by {'; '.join(now.blockers)}")
            raise OnlineRetypeRefused(
                f'online retype of {retype.display}: "{column.name}" changed during the backfill ({why}); nothing '
                f"was swapped. Remove that change, or run apply without --online-retype (it drops the shadow "
                f"columns and rewrites the table)")
    conn.execute(sql.SQL("DROP TRIGGER IF EXISTS {} ON {}").format(sql.Identifier(TRIGGER_NAME), retype.relation))
    conn.execute(sql.SQL("DROP FUNCTION IF EXISTS {}()").format(retype.function))
    for column in (current[c.name] for c in retype.columns):
        old, new = sql.Identifier(column.name), sql.Identifier(shadow(column.name))
        conn.execute(sql.SQL("ALTER TABLE {} DROP COLUMN {}").format(retype.relation, old))
        conn.execute(sql.SQL("ALTER TABLE {} RENAME COLUMN {} TO {}").format(retype.relation, new, old))
        if column.default is not None:
            conn.execute(sql.SQL("ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {}").format(
                retype.relation, old, sql.SQL(column.default)))  # pg_get_expr output
        if column.not_null:
            # PostgreSQL 12+: the validated CHECK (... x IS NOT NULL ...) proves it, so SET NOT NULL does not scan.
            conn.execute(sql.SQL("ALTER TABLE {} ALTER COLUMN {} SET NOT NULL").format(retype.relation, old))
        conn.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT IF EXISTS {}").format(
            retype.relation, sql.Identifier(_column_check_name(column))))
        if column.comment is not None:
            conn.execute(sql.SQL("COMMENT ON COLUMN {}.{} IS {}").format(
                retype.relation, old, sql.Literal(column.comment)))
    conn.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT IF EXISTS {}").format(
        retype.relation, sql.Identifier(retype.check_name)))


# ---- leftovers of an interrupted online run --------------------------------------------------------------------

def drop_leftovers(conn: Connection, plans: Sequence[Plan], reported: Callable[[str], None]) -> list[str]:
    """Remove the shadow columns, trigger and function an interrupted ``--online-retype`` left on tables the
    ``plans`` retype, so that a plain ``apply`` (which rewrites the table itself) leaves no trace of them.

    Runs in the plan's transaction: the cleanup commits together with the plan, or not at all.
    """
    tables = sorted(bigint_retypes(plans))
    if not tables:
        return []
    dropped: list[str] = []
    catalog = read_catalog(
        conn, Part.COLUMNS | Part.TRIGGERS, schemas={schema for schema, _ in tables}, tables=set(tables)
    )
    for live in catalog.tables.values():
        has_trigger = (live.qname, TRIGGER_NAME) in catalog.triggers
        columns = [name for name in live.columns if name.endswith(SHADOW_SUFFIX)]
        if not has_trigger and not columns:
            continue
        retype = TableRetype(live.qname, "")
        conn.execute(sql.SQL("DROP TRIGGER IF EXISTS {} ON {}").format(sql.Identifier(TRIGGER_NAME), retype.relation))
        conn.execute(sql.SQL("DROP FUNCTION IF EXISTS {}()").format(retype.function))
        if columns:  # dropping a shadow column also drops its helper CHECK
            conn.execute(sql.SQL("ALTER TABLE {} {}").format(retype.relation, sql.SQL(", ").join(
                sql.SQL("DROP COLUMN {}").format(sql.Identifier(column)) for column in columns)))
        what = f"{retype.display}: dropped {', '.join(columns) or 'no columns'}" + (
            f" and trigger {TRIGGER_NAME}" if has_trigger else "")
        reported(f"left over by an interrupted --online-retype: {what}")
        dropped.append(what)
    return dropped


__all__ = [
    "OnlineRetype", "TableRetype", "bigint_retypes", "drop_leftovers", "plan_online", "qualify", "retype_online",
    "table_retype",
]
