"""Online INT -> BIGINT retypes by copying the table: what ``apply --online`` does when the table allows it.

The shadow-column retype (online.py) writes a second version of every row in place: each update that does not
fit on its page also writes an entry in every index, and the table keeps the dead versions until a vacuum. On
10M invoices that backfill alone took 100 s where the plain apply's whole rewrite took 40 s (bench/RESULTS.md).
Copying the table instead (pg-osc's approach) writes each row once, into a table nobody reads yet, and builds
its indexes by sorting, like the rewrite does:

1. **install**, one short transaction under the online ``lock_timeout``: the copy ``"<table>__bhq_copy"``
   (``LIKE`` the table: the same columns in the same order, defaults, NOT NULL, CHECKs, storage, comments) with
   the columns retyped while it is empty, the plan's later catalog-only added columns after them (steps.py), and
   its primary key; a change log ``"<table>__bhq_log"``; and
   statement triggers on the table that log the key of every row inserted, updated or deleted from then on
   (``SECURITY DEFINER``: the application's role needs no privilege on the log; ``TRUNCATE`` is refused while
   the copy runs, because the log could not carry it);
2. **copy**, the rows present when it starts, by primary-key range, one short transaction per time-sized batch,
   each starting after the copy's highest key: a run killed in the middle resumes where the last batch committed;
3. **indexes**: the table's other indexes, built on the copy by ``CREATE INDEX`` (nothing else uses the copy, so
   no ``CONCURRENTLY`` and its second scan), then ``VACUUM (ANALYZE)`` of the copy, so that the application's
   first reads after the swap find hint bits, a visibility map and statistics;
4. **catch-up**: the logged keys are replayed, a batch per transaction: each key is deleted from the copy and
   copied again as the table holds it now (REPEATABLE READ, so the log, the delete and the copy agree), until
   fewer than ``CATCH_UP_ROWS`` are left;
5. **swap**, one short transaction under the online ``lock_timeout``: ACCESS EXCLUSIVE on the table (and on the
   tables whose foreign keys point at it, to move those keys), the rest of the log replayed, the triggers and
   the log dropped, owned sequences handed to the copy, the table dropped and the copy renamed into its place,
   its indexes and constraints named as the table's were, every foreign key (its own and those pointing at it)
   added back ``NOT VALID``, comments and privileges restored. Nothing in it scans a table;
6. **validate**: each foreign key that was valid before is validated in its own transaction (SHARE UPDATE
   EXCLUSIVE: reads and writes go on). The keys still to validate are recorded in
   ``bhq_migrate.copy_validations`` by the swap, so a run killed after it validates exactly those.

Why the foreign keys wait for the swap: on the copy, a key would be checked against the copy's rows, which lag
the table's until the catch-up; a ``DELETE`` of a tenant whose invoices the application had just deleted would
then fail on the copy's stale invoices. After the swap the copy *is* the table.

Unlike the shadow columns, the copy keeps the columns' order. What it cannot carry (views, rules, policies, user
triggers, publications, row-type users, privileges granted by another role than the owner, exclusion or
deferrable constraints, an owner the applying role is not a member of: ``copy_source.sql`` lists them as
blockers) leaves the table to the shadow columns, with the reason in the run's output. A table owned by
another role is copied when the applying role may act as it (a superuser, or a member of the owning role): the
copy is given to it.
Identity columns get a sequence of the copy's own (``LIKE ... INCLUDING IDENTITY``), which the swap sets to the
table's sequence's position and names as it (an identity sequence cannot be handed over with ``OWNED BY``).
Generated columns are computed by the copy (``INCLUDING GENERATED``) and left out of its INSERTs. Column
privileges are granted again at the swap, like the table's.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from importlib import resources
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg import sql

from bhq_migrate.errors import OnlineRetypeRefused, PlanFailed
from bhq_migrate.migrate import checkpoints
from bhq_migrate.migrate.online import (
    FIRST_TIMED_BATCH_ROWS,
    MAX_IDENTIFIER,
    Connection,
    OnlineRetype,
    ProgressSink,
    Retrying,
    RetypedTable,
    TableKey,
    next_batch_rows,
    swap_and_report,
)

COPY_SUFFIX = "__bhq_copy"
LOG_SUFFIX = "__bhq_log"
FUNCTION_SUFFIX = "__bhq_online_copy"
TRIGGER_PREFIX = "zzz_bhq_online_copy_"
TRIGGER_EVENTS = ("insert", "update", "delete", "truncate")
TEMP_NAME_PREFIX = "bhq_copy_"
COPY_INDEX_PREFIX = "bhq_copy_plan_"
"""The copy's name, until the swap, for an index of the plan built on it (steps.py): a hash of its own name."""
OLD_SUFFIX = "__bhq_old"
OLD_NAME_PREFIX = "bhq_old_"
NOWAIT_ATTEMPTS = 10
NOWAIT_PAUSE_S = 0.01
"""The swap first tries to lock all its tables without waiting this many times, the n-th retry n x this apart."""
OTHER_TABLES_LOCK_MS = 50
"""Then, holding the table, it waits this long at most for each other table it must lock (see ``_lock_all``)."""
CATCH_UP_ROWS = 1_000
"""The catch-up stops, and the swap replays the rest under its lock, once fewer logged keys than this remain."""
CATCH_UP_BATCH = 5_000
CATCH_UP_PASSES = 1_000
"""The catch-up gives up after this many batches without getting below CATCH_UP_ROWS (the application changes
the table faster than it is replayed), rather than run for ever; the copy stays and a later run resumes it."""


def _sql_file(name: str) -> str:
    return resources.files("bhq_migrate.migrate").joinpath("sql", name).read_text(encoding="utf-8")


@dataclass(frozen=True)
class CopiedIndex:
    oid: int
    name: str
    primary: bool
    unique: bool
    constraint: str | None
    tail: str
    """The definition after ``ON <table>``: ``USING btree (...)`` and any INCLUDE, WITH, WHERE."""
    comment: str | None
    constraint_comment: str | None

    @property
    def temp_name(self) -> str:
        """The copy's name for it until the swap (index names are unique per schema): the table's index oid."""
        return f"{TEMP_NAME_PREFIX}{self.oid}"

    @property
    def old_name(self) -> str:
        """The old table's name for it from the swap until the old table is dropped."""
        return f"{OLD_NAME_PREFIX}{self.oid}"


@dataclass(frozen=True)
class ForeignKey:
    table: str
    """The constrained table, schema-qualified SQL."""
    references: str
    name: str
    validated: bool
    definition: str
    comment: str | None

    @property
    def not_valid(self) -> str:
        definition = self.definition.removesuffix(" NOT VALID")
        return f"{definition} NOT VALID"


@dataclass
class TableCopy(RetypedTable):
    """One table to retype by copying it, and everything the copy must carry over (copy_source.sql)."""

    key: str
    retyped: list[str]
    oid: int = 0
    columns: list[str] = field(default_factory=list)
    indexes: list[CopiedIndex] = field(default_factory=list)
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    referencing: list[ForeignKey] = field(default_factory=list)
    sequences: list[tuple[str, str]] = field(default_factory=list)
    generated: list[str] = field(default_factory=list)
    """Generated columns: the copy computes them from the others, so they are left out of every INSERT."""
    identities: list[tuple[str, str, str, str]] = field(default_factory=list)
    """Identity columns: the column, its sequence (qualified SQL), the sequence's name and its type."""
    grants: list[tuple[str, str, bool]] = field(default_factory=list)
    column_grants: list[tuple[str, str, str, bool]] = field(default_factory=list)
    """Column privileges: column, privilege, grantee (SQL), grantable."""
    reloptions: list[str] = field(default_factory=list)
    statistics: list[tuple[str, int]] = field(default_factory=list)
    comment: str | None = None
    owner: str | None = None
    """The owner as SQL, when it is not the applying role (a superuser or a member of the owning role)."""
    blockers: list[str] = field(default_factory=list)
    plan_columns: list[tuple[str, str]] = field(default_factory=list)
    """The columns the plan adds to the table later, added to the copy as it is created (``Step.copy_columns``):
    column, ALTER TABLE ... ADD COLUMN IF NOT EXISTS on the copy. The copy's rows take their defaults, as the
    table's would."""
    plan_indexes: list[tuple[str, str, str]] = field(default_factory=list)
    """The plan's own indexes on the table to build on the copy (``Step.copy_indexes``): name, name on the copy
    until the swap, CREATE INDEX on the copy."""

    @property
    def qualified(self) -> str:
        return sql.Identifier(*self.table).as_string(None)

    @property
    def copy(self) -> sql.Identifier:
        return sql.Identifier(self.table[0], copy_name(self.table[1]))

    @property
    def log(self) -> sql.Identifier:
        return sql.Identifier(self.table[0], log_name(self.table[1]))

    @property
    def function(self) -> sql.Identifier:
        return sql.Identifier(self.table[0], f"{self.table[1]}{FUNCTION_SUFFIX}"[:MAX_IDENTIFIER])

    @property
    def column_list(self) -> sql.Composable:
        """The columns an INSERT into the copy gives values for: all but the generated ones."""
        return sql.SQL(", ").join(sql.Identifier(column) for column in self.columns if column not in self.generated)

    @property
    def insert_into_copy(self) -> sql.Composed:
        """``INSERT INTO <copy> (<columns>)``, taking the table's identity values as they are (a GENERATED ALWAYS
        column refuses them without OVERRIDING SYSTEM VALUE)."""
        overriding = sql.SQL(" OVERRIDING SYSTEM VALUE") if self.identities else sql.SQL("")
        return sql.SQL("INSERT INTO {} ({}){}").format(self.copy, self.column_list, overriding)

    @property
    def copy_columns(self) -> list[str]:
        """The copy's columns, in order: the table's, then those the plan adds (``plan_columns``)."""
        return [*self.columns, *(column for column, _ in self.plan_columns if column not in self.columns)]

    def locked_tables(self) -> list[str]:
        """Every table the swap locks, in the order it locks them: the table, then those its own keys point at
        (dropping and adding a key locks the referenced table too) and the tables whose keys point at it (moved
        to the copy)."""
        parents = sorted({fk.references for fk in self.foreign_keys})  # may name the table itself: no matter
        children = sorted({fk.table for fk in self.referencing})
        return list(dict.fromkeys([self.relation.as_string(None), *parents, *children]))

    def same_shape(self, other: TableCopy) -> bool:
        """Whether the copy built for ``self`` still fits ``other`` (the table read again under the swap's lock)."""
        return (self.columns == other.columns and self.indexes == other.indexes
                and self.foreign_keys == other.foreign_keys and self.referencing == other.referencing
                and self.identities == other.identities and self.generated == other.generated)


def copy_name(table: str) -> str:
    return table + COPY_SUFFIX


def log_name(table: str) -> str:
    return table + LOG_SUFFIX


def old_name(table: str) -> str:
    return table + OLD_SUFFIX


def read_source(conn: Connection, table: TableKey, key: str, retyped: list[str]) -> TableCopy | None:
    """What the copy of ``table`` must carry over, read with every name schema-qualified (see copy_source.sql);
    None when there is no such table."""
    with _qualified_names(conn):
        row = conn.execute(_sql_file("copy_source.sql"),
                           {"table": sql.Identifier(*table).as_string(None)}).fetchone()
    if row is None:
        return None
    facts: dict[str, Any] = row[0]
    source = TableCopy(
        table=table, key=key, retyped=retyped, oid=int(facts["oid"]), columns=list(facts["columns"]),
        indexes=[CopiedIndex(**index) for index in facts["indexes"]],
        foreign_keys=[ForeignKey(**fk) for fk in facts["foreign_keys"]],
        referencing=[ForeignKey(**fk) for fk in facts["referencing"]],
        sequences=[(seq, column) for seq, column in facts["sequences"]],
        identities=[(column, seq, name, kind) for column, seq, name, kind in facts["identities"]],
        generated=list(facts["generated"]),
        grants=[(privilege, grantee, bool(grantable)) for privilege, grantee, grantable in facts["grants"]],
        column_grants=[(column, privilege, grantee, bool(grantable))
                       for column, privilege, grantee, grantable in facts["column_grants"]],
        reloptions=list(facts["reloptions"]), statistics=[(c, int(n)) for c, n in facts["statistics"]],
        comment=facts["comment"], owner=facts["owner"], blockers=list(facts["blockers"]),
    )
    if max(len(name(table[1]).encode()) for name in (copy_name, log_name, old_name)) > MAX_IDENTIFIER:
        source.blockers.append(f"the copy's name would exceed {MAX_IDENTIFIER} bytes")
    if not any(index.primary for index in source.indexes):
        source.blockers.append("no primary key")
    return source


@contextmanager
def _qualified_names(conn: Connection) -> Iterator[None]:
    """search_path = pg_catalog for the block, whether or not a transaction is open (set_config is_local would
    outlive the block until the caller's transaction ends), so the server renders every name schema-qualified."""
    row = conn.execute("SELECT current_setting('search_path')").fetchone()
    previous = str(row[0]) if row else ""
    conn.execute("SELECT set_config('search_path', 'pg_catalog, pg_temp', false)")
    try:
        yield
    finally:
        if conn.info.transaction_status != psycopg.pq.TransactionStatus.INERROR:
            conn.execute("SELECT set_config('search_path', %s, false)", (previous,))


def copy_fits(conn: Connection, source: TableCopy) -> bool:
    """Whether an existing copy was built for the table as it is now: the same columns in the same order (then the
    plan's added ones), and no index but those of the table's current indexes and the plan's (a copy left by a
    run before the table changed does not)."""
    def columns(relation: sql.Identifier) -> list[tuple[str, str]]:
        return [(str(name), str(kind)) for name, kind in conn.execute(
            "SELECT attname, pg_catalog.format_type(atttypid, atttypmod) FROM pg_catalog.pg_attribute "
            "WHERE attrelid = to_regclass(%s) AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
            (relation.as_string(conn),)).fetchall()]

    copy, table = columns(source.copy), columns(source.relation)
    # The table's columns keep their types on the copy but for the retyped ones; a column the table gained since
    # (the plan's own, added by hand, say) must have the type the copy gave it.
    expected = [(name, "bigint" if name in source.retyped else kind) for name, kind in table]
    allowed = {index.temp_name for index in source.indexes} | {temp for _name, temp, _sql in source.plan_indexes}
    return ([name for name, _ in copy] == source.copy_columns and copy[:len(expected)] == expected
            and _copy_indexes(conn, source) <= allowed)


def _copy_indexes(conn: Connection, source: TableCopy) -> set[str]:
    return {str(row[0]) for row in conn.execute(
        "SELECT c.relname FROM pg_catalog.pg_index AS i JOIN pg_catalog.pg_class AS c ON c.oid = i.indexrelid "
        "WHERE i.indrelid = to_regclass(%s)", (source.copy.as_string(conn),)).fetchall()}


def _exists(conn: Connection, relation: sql.Identifier) -> bool:
    row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (relation.as_string(conn),)).fetchone()
    return bool(row and row[0])


def copy_exists(conn: Connection, table: TableKey) -> bool:
    return _exists(conn, sql.Identifier(table[0], copy_name(table[1])))


# ---- the six steps ----------------------------------------------------------------------------------------------

def copy_online(
    conn: Connection, source: TableCopy, batch_rows: int, retrying: Retrying[Any], progress: ProgressSink,
    *, batch_ms: float = 0.0, label: str = "", clear_way: Callable[[], None] | None = None,
    pause: Callable[[], None] | None = None, after_swap: Callable[[], None] | None = None,
) -> OnlineRetype:
    """Steps 1-5 for one table, resuming after whatever an earlier run of them committed. The arguments are
    those of ``online.retype_online``. Step 6 (validate_pending) is the caller's, once at the end of the plan's
    step, whichever way the step went (a copy, shadow columns, or a table an earlier run retyped)."""
    started = time.monotonic()
    clear = clear_way or (lambda: None)
    if copy_exists(conn, source.table) and not copy_fits(conn, source):
        progress(f"{source.display}: the table changed since its copy was started; copying it again", 0, 0)
        retrying(partial(drop_copy, conn, source.table), f"online copy of {source.display} (drop the old copy)")
    added = f" and the plan's {len(source.plan_columns)} added column(s)" if source.plan_columns else ""
    progress(f"{source.display}: a copy with {', '.join(source.retyped)} as bigint{added}, and a change log", 0, 0)
    clear()
    retrying(partial(install, conn, source), f"online copy of {source.display} (install)")
    checkpoints.reached(f"{label} installed")
    if batch_ms > 0:
        batch_rows = min(batch_rows, FIRST_TIMED_BATCH_ROWS)
    rows, batches = copy_rows(conn, source, batch_rows, retrying, progress, batch_ms=batch_ms, label=label,
                              pause=pause)
    build_indexes(conn, source, retrying, progress, label=label)
    _vacuum_copy(conn, source)
    checkpoints.reached(f"{label} copy vacuumed")
    catch_up(conn, source, retrying, progress, label=label, pause=pause)
    progress(f"{source.display}: swapping the copy in", 0, 0)
    attempts = swap_and_report(partial(swap, conn, source), retrying, f"online copy of {source.display} (swap)",
                               label=label, clear=clear, after_swap=after_swap)
    finish(conn, source.table, retrying, label=label)
    return OnlineRetype(table=source.display, columns=source.retyped, rows_backfilled=rows, batches=batches,
                        swap_attempts=attempts, duration_ms=int((time.monotonic() - started) * 1000))


def _vacuum_copy(conn: Connection, source: TableCopy) -> None:
    """Step 3's end, outside a transaction (VACUUM cannot run in one): nothing but this run uses the copy, so
    there is no lock to wait for, and a failure (a statement_timeout, a cancel) leaves a copy the rerun resumes."""
    try:
        conn.execute(sql.SQL("VACUUM (ANALYZE) {}").format(source.copy))
    except psycopg.Error as exc:
        first_line = (str(exc).splitlines() or ["no message"])[0]
        raise PlanFailed(f"online copy of {source.display}: VACUUM (ANALYZE) of the copy failed: {first_line}; "
                         f"the copy is kept, rerun apply --online to resume") from None


def install(conn: Connection, source: TableCopy) -> None:
    """Step 1, idempotent: the copy with its primary key, the change log and the triggers that fill it."""
    if not copy_exists(conn, source.table):
        includes = "INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS"
        if conn.info.server_version >= 140000:
            includes += " INCLUDING COMPRESSION"
        if source.identities:  # a sequence of the copy's own per column, with the same options
            includes += " INCLUDING IDENTITY"
        if source.generated:  # the expressions, which compute the copy's values from the copied columns
            includes += " INCLUDING GENERATED"
        conn.execute(sql.SQL("CREATE TABLE {} (LIKE {} {})").format(source.copy, source.relation, sql.SQL(includes)))
        # LIKE makes every identity sequence bigint: first the table's type, then the retype changes it the way
        # the plain apply's ALTER COLUMN TYPE does (type and, if it was the old type's, maximum).
        for column, _sequence, _name, kind in source.identities:
            conn.execute(sql.SQL("ALTER SEQUENCE {} AS {}").format(sql.SQL(_identity_sequence(conn, source, column)),
                                                                  sql.SQL(kind)))
        conn.execute(sql.SQL("ALTER TABLE {} {}").format(source.copy, sql.SQL(", ").join(
            sql.SQL("ALTER COLUMN {} TYPE bigint").format(sql.Identifier(c)) for c in source.retyped)))
        for _column, statement in source.plan_columns:  # the plan's own text, rendered for the copy (steps.py)
            conn.execute(statement)
        # No autovacuum on the copy until the swap: it would take SHARE UPDATE EXCLUSIVE on it (inserts trigger
        # it), and the index builds would wait for it; the copy is vacuumed once, in step 3.
        options = [o for o in source.reloptions if not o.startswith("autovacuum_enabled=")]
        options.append("autovacuum_enabled=false")
        conn.execute(sql.SQL("ALTER TABLE {} SET ({})").format(
            source.copy, sql.SQL(", ").join(sql.SQL(option) for option in options)))
        for column, target in source.statistics:
            conn.execute(sql.SQL("ALTER TABLE {} ALTER COLUMN {} SET STATISTICS {}").format(
                source.copy, sql.Identifier(column), sql.Literal(target)))
        if source.owner is not None:  # before the indexes: they follow the table's owner anyway
            conn.execute(sql.SQL("ALTER TABLE {} OWNER TO {}").format(source.copy, sql.SQL(source.owner)))
        primary = next(index for index in source.indexes if index.primary)
        _create_index(conn, source, primary)
    conn.execute(sql.SQL("CREATE TABLE IF NOT EXISTS {} (seq bigserial PRIMARY KEY, key bigint NOT NULL)").format(
        source.log))
    key = sql.Identifier(source.key)
    body = sql.SQL("""BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    RAISE EXCEPTION 'bhq-migrate apply --online is copying this table: TRUNCATE must wait until it has finished';
  ELSIF TG_OP = 'INSERT' THEN
    INSERT INTO {log} (key) SELECT {key} FROM bhq_new;
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO {log} (key) SELECT {key} FROM bhq_old UNION SELECT {key} FROM bhq_new;
  ELSE
    INSERT INTO {log} (key) SELECT {key} FROM bhq_old;
  END IF;
  RETURN NULL;
END""").format(log=source.log, key=key).as_string(conn)
    conn.execute(sql.SQL(
        "CREATE OR REPLACE FUNCTION {}() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER "
        "SET search_path = pg_catalog, pg_temp AS {}").format(source.function, sql.Literal(body)))
    transitions = {"insert": "NEW TABLE AS bhq_new", "update": "OLD TABLE AS bhq_old NEW TABLE AS bhq_new",
                   "delete": "OLD TABLE AS bhq_old"}
    for event in TRIGGER_EVENTS:
        name = sql.Identifier(TRIGGER_PREFIX + event)
        conn.execute(sql.SQL("DROP TRIGGER IF EXISTS {} ON {}").format(name, source.relation))
        timing = "BEFORE TRUNCATE" if event == "truncate" else f"AFTER {event.upper()}"
        referencing = f" REFERENCING {transitions[event]}" if event in transitions else ""
        conn.execute(sql.SQL("CREATE TRIGGER {} {} ON {}{} FOR EACH STATEMENT EXECUTE FUNCTION {}()").format(
            name, sql.SQL(timing), source.relation, sql.SQL(referencing), source.function))


def _create_index(conn: Connection, source: TableCopy, index: CopiedIndex) -> None:
    unique = "UNIQUE " if index.unique else ""
    conn.execute(sql.SQL("CREATE {}INDEX {} ON {} {}").format(
        sql.SQL(unique), sql.Identifier(index.temp_name), source.copy, sql.SQL(index.tail)))
    if index.constraint is not None:
        kind = "PRIMARY KEY" if index.primary else "UNIQUE"
        conn.execute(sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {} USING INDEX {}").format(
            source.copy, sql.Identifier(index.temp_name), sql.SQL(kind), sql.Identifier(index.temp_name)))


def copy_rows(
    conn: Connection, source: TableCopy, batch_rows: int, retrying: Retrying[Any], progress: ProgressSink,
    *, batch_ms: float = 0.0, label: str = "", pause: Callable[[], None] | None = None,
) -> tuple[int, int]:
    """Step 2: the rows up to the table's highest key as this run starts, after the copy's highest key. Later rows
    are in the log; a row copied here and changed since is in it too."""
    key = sql.Identifier(source.key)
    bounds = conn.execute(sql.SQL("SELECT (SELECT max({k}) FROM {c}), (SELECT min({k}) FROM {t}), "
                                  "(SELECT max({k}) FROM {t})").format(k=key, c=source.copy, t=source.relation)
                          ).fetchone()
    if bounds is None or bounds[2] is None:
        return 0, 0
    after = int(bounds[0]) if bounds[0] is not None else int(bounds[1]) - 1
    high = int(bounds[2])
    insert = sql.SQL("{insert} SELECT {cols} FROM {t} WHERE {k} > %s AND {k} <= %s").format(
        insert=source.insert_into_copy, cols=source.column_list, t=source.relation, k=key)
    copied, number, rows = 0, 0, batch_rows
    while after < high:
        number += 1
        upto = min(after + rows, high)
        total = number + (high - upto + rows - 1) // rows
        progress(f"{source.display}: copy keys {after + 1:,}..{upto:,}", number, total)
        began = time.monotonic()
        copied += retrying(partial(_copy_batch, conn, insert, after, upto, f"{label} copy batch {number}"),
                           f"online copy of {source.display} (copy batch {number})")
        took_ms = (time.monotonic() - began) * 1000
        checkpoints.reached(f"{label} copy batch {number} committed")
        if pause is not None:
            pause()
        if batch_ms > 0:
            rows = next_batch_rows(upto - after, took_ms, batch_ms)
        after = upto
    return copied, number


def _copy_batch(conn: Connection, insert: sql.Composed, after: int, upto: int, label: str) -> int:
    copied = max(conn.execute(insert, (after, upto)).rowcount, 0)
    checkpoints.reached(f"{label} before commit")
    return copied


def build_indexes(conn: Connection, source: TableCopy, retrying: Retrying[Any], progress: ProgressSink,
                  *, label: str = "") -> None:
    """Step 3: the table's other indexes on the copy, by sort, then the plan's own indexes on the table that can
    be built there (one scan of the copy each, instead of a concurrent build's two of the live table after the
    swap); each its own transaction, skipped if built."""
    existing = _copy_indexes(conn, source)
    for index in source.indexes:
        if index.temp_name in existing:
            continue
        progress(f"{source.display}: index {index.name} on the copy", 0, 0)
        retrying(partial(_create_index, conn, source, index), f"online copy of {source.display} (index {index.name})")
        checkpoints.reached(f"{label} copy index {index.name} built")
    for name, temp, statement in source.plan_indexes:
        if temp in existing:
            continue
        progress(f"{source.display}: the plan's index {name} on the copy", 0, 0)
        retrying(partial(conn.execute, statement), f"online copy of {source.display} (the plan's index {name})")
        checkpoints.reached(f"{label} copy index {name} built")


def catch_up(conn: Connection, source: TableCopy, retrying: Retrying[Any], progress: ProgressSink,
             *, label: str = "", pause: Callable[[], None] | None = None) -> None:
    """Step 4: replay the log a batch per transaction until fewer than CATCH_UP_ROWS keys are left."""
    number = 0
    while True:
        row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(source.log)).fetchone()
        waiting = int(row[0]) if row else 0
        if waiting < CATCH_UP_ROWS:
            return
        if number >= CATCH_UP_PASSES:
            raise PlanFailed(
                f"online copy of {source.display}: {waiting:,} logged change(s) still waiting after {number:,} "
                f"catch-up batches: the application changes the table faster than they are replayed. The copy "
                f"is kept; rerun apply --online when the table is less busy, and it resumes")
        number += 1
        progress(f"{source.display}: catching up with {waiting:,} logged change(s)", number, number)  # a live line
        retrying(partial(_catch_up_batch, conn, source, f"{label} catch-up {number}"),
                 f"online copy of {source.display} (catch-up {number})")
        checkpoints.reached(f"{label} catch-up {number} committed")
        if pause is not None:
            pause()


def _catch_up_batch(conn: Connection, source: TableCopy, label: str) -> None:
    conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    replay(conn, source, CATCH_UP_BATCH)
    checkpoints.reached(f"{label} before commit")


def replay(conn: Connection, source: TableCopy, limit: int | None) -> int:
    """Copy the logged keys again as the table holds them now, in the caller's transaction; returns how many.

    A batch of the log can break a unique index of the copy for a moment (the application swapped two rows'
    unique values, and only one of the rows is in the batch); then the whole log is replayed instead, from the
    same snapshot under REPEATABLE READ, which leaves the copy exactly as the table was at that snapshot."""
    try:
        with conn.transaction():
            return _replay(conn, source, limit)
    except pg_errors.UniqueViolation:
        if limit is None:
            raise
        return _replay(conn, source, None)


def _replay(conn: Connection, source: TableCopy, limit: int | None) -> int:
    key = sql.Identifier(source.key)
    taken = sql.SQL("SELECT seq FROM {} ORDER BY seq LIMIT {}").format(
        source.log, sql.Literal(limit)) if limit is not None else sql.SQL("SELECT seq FROM {}").format(source.log)
    keys = [row[0] for row in conn.execute(sql.SQL(
        "WITH taken AS (DELETE FROM {log} WHERE seq IN ({taken}) RETURNING key) SELECT DISTINCT key FROM taken"
    ).format(log=source.log, taken=taken)).fetchall()]
    if keys:
        conn.execute(sql.SQL("DELETE FROM {} WHERE {} = ANY (%s)").format(source.copy, key), (keys,))
        conn.execute(sql.SQL("{insert} SELECT {cols} FROM {t} WHERE {k} = ANY (%s)").format(
            insert=source.insert_into_copy, cols=source.column_list, t=source.relation, k=key), (keys,))
    return len(keys)


def _lock_all(conn: Connection, tables: list[str]) -> None:
    """ACCESS EXCLUSIVE on ``tables`` (the table first), in the caller's transaction.

    Several tables can deadlock with the application: a payment insert holds "Payment" and then checks its
    invoice, an invoice delete holds "Invoice" and then checks its payments; whichever table the swap takes
    first, some writer holds the other and waits for it. So the swap first tries to take them all at once
    without waiting (NOWAIT, a few times, a little apart): then nobody ever queues behind it. Failing that, it
    waits for the table (the online lock_timeout, as every catalog step) and then for each other table at most
    OTHER_TABLES_LOCK_MS, so that a deadlock costs those queued behind the table no more than that before the
    swap gives up, releases everything and is retried."""
    locks = sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(
        sql.SQL(", ").join(sql.SQL(name) for name in tables))
    for attempt in range(NOWAIT_ATTEMPTS):
        try:
            with conn.transaction():  # a savepoint: its rollback releases whatever the LOCK took
                conn.execute(sql.Composed([locks, sql.SQL(" NOWAIT")]))
            return
        except pg_errors.LockNotAvailable:
            time.sleep(NOWAIT_PAUSE_S * (attempt + 1))
    table, *others = tables
    conn.execute(sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(sql.SQL(table)))
    if others:
        conn.execute("SELECT set_config('lock_timeout', %(wait)s, true) WHERE "
                     "current_setting('lock_timeout')::interval NOT BETWEEN '1 ms' AND %(wait)s::interval",
                     {"wait": f"{OTHER_TABLES_LOCK_MS}ms"})
        conn.execute(sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(
            sql.SQL(", ").join(sql.SQL(name) for name in others)))


def swap(conn: Connection, source: TableCopy) -> None:
    """Step 5, in the caller's transaction: catalog changes, and the replay of the last few logged keys."""
    _lock_all(conn, source.locked_tables())
    now = read_source(conn, source.table, source.key, source.retyped)
    if now is None or now.blockers or not source.same_shape(now):
        why = "; ".join(now.blockers) if now is not None and now.blockers else (
            "its columns, indexes or foreign keys changed")
        raise OnlineRetypeRefused(
            f"online copy of {source.display}: the table changed during the copy ({why}); nothing was swapped. "
            f"Rerun apply --online: it drops the copy of a changed table and starts again")
    replay(conn, source, None)
    for event in TRIGGER_EVENTS:
        conn.execute(sql.SQL("DROP TRIGGER {} ON {}").format(sql.Identifier(TRIGGER_PREFIX + event), source.relation))
    conn.execute(sql.SQL("DROP FUNCTION {}()").format(source.function))
    conn.execute(sql.SQL("DROP TABLE {}").format(source.log))
    # The old table is renamed out of the way, not dropped: a DROP's commit unlinks its files while still holding
    # its locks (0.25 s for the 1.2 GB of 10M invoices, which every query on the table waited for). It is dropped
    # right after the swap, in a transaction of its own that nobody waits for; until then nothing points at it.
    for fk in [*source.referencing, *source.foreign_keys]:
        conn.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(sql.SQL(fk.table), sql.Identifier(fk.name)))
    for sequence, column in source.sequences:
        conn.execute(sql.SQL("ALTER SEQUENCE {} OWNED BY {}.{}").format(
            sql.SQL(sequence), source.copy, sql.Identifier(column)))
    _move_identities(conn, source)
    schema = source.table[0]
    for index in source.indexes:  # index names are unique per schema: the copy's take them over below
        if index.constraint is not None:
            conn.execute(sql.SQL("ALTER TABLE {} RENAME CONSTRAINT {} TO {}").format(
                source.relation, sql.Identifier(index.constraint), sql.Identifier(index.old_name)))
        else:
            conn.execute(sql.SQL("ALTER INDEX {} RENAME TO {}").format(
                sql.Identifier(schema, index.name), sql.Identifier(index.old_name)))
    conn.execute(sql.SQL("ALTER TABLE {} RENAME TO {}").format(source.relation, sql.Identifier(old_name(
        source.table[1]))))
    conn.execute(sql.SQL("ALTER TABLE {} RENAME TO {}").format(source.copy, sql.Identifier(source.table[1])))
    autovacuum = [o for o in source.reloptions if o.startswith("autovacuum_enabled=")]
    conn.execute(sql.SQL("ALTER TABLE {} {}").format(source.relation, sql.SQL(
        f"SET ({autovacuum[0]})" if autovacuum else "RESET (autovacuum_enabled)")))
    for index in source.indexes:
        if index.constraint is not None:  # renaming the constraint renames its index
            conn.execute(sql.SQL("ALTER TABLE {} RENAME CONSTRAINT {} TO {}").format(
                source.relation, sql.Identifier(index.temp_name), sql.Identifier(index.constraint)))
        else:
            conn.execute(sql.SQL("ALTER INDEX {} RENAME TO {}").format(
                sql.Identifier(schema, index.temp_name), sql.Identifier(index.name)))
        if index.comment is not None:
            conn.execute(sql.SQL("COMMENT ON INDEX {} IS {}").format(
                sql.Identifier(schema, index.name), sql.Literal(index.comment)))
        if index.constraint is not None and index.constraint_comment is not None:
            conn.execute(sql.SQL("COMMENT ON CONSTRAINT {} ON {} IS {}").format(
                sql.Identifier(index.constraint), source.relation, sql.Literal(index.constraint_comment)))
    for name, temp, _statement in source.plan_indexes:
        # The plan's CREATE INDEX comes later and finds it. Should the name be taken meanwhile (by someone, on the
        # old table), the copy's is dropped and the plan's own step builds it as the plan says.
        taken = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (sql.Identifier(schema, name).as_string(conn),))
        if (taken.fetchone() or (False,))[0]:
            conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(schema, temp)))
        else:
            conn.execute(sql.SQL("ALTER INDEX {} RENAME TO {}").format(
                sql.Identifier(schema, temp), sql.Identifier(name)))
    conn.execute(_sql_file("create_copy_validations.sql"))
    for fk in [*source.foreign_keys, *source.referencing]:
        conn.execute(sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
            sql.SQL(fk.table), sql.Identifier(fk.name), sql.SQL(fk.not_valid)))
        if fk.comment is not None:
            conn.execute(sql.SQL("COMMENT ON CONSTRAINT {} ON {} IS {}").format(
                sql.Identifier(fk.name), sql.SQL(fk.table), sql.Literal(fk.comment)))
        if fk.validated:
            conn.execute("INSERT INTO bhq_migrate.copy_validations (table_sql, constraint_name, copied_table) "
                         "VALUES (%s, %s, %s) ON CONFLICT DO NOTHING", (fk.table, fk.name, source.qualified))
    if source.comment is not None:
        conn.execute(sql.SQL("COMMENT ON TABLE {} IS {}").format(source.relation, sql.Literal(source.comment)))
    for privilege, grantee, grantable in source.grants:
        conn.execute(sql.SQL("GRANT {} ON TABLE {} TO {}{}").format(
            sql.SQL(privilege), source.relation, sql.SQL(grantee), sql.SQL(" WITH GRANT OPTION" if grantable else "")))
    for column, privilege, grantee, grantable in source.column_grants:
        conn.execute(sql.SQL("GRANT {} ({}) ON TABLE {} TO {}{}").format(
            sql.SQL(privilege), sql.Identifier(column), source.relation, sql.SQL(grantee),
            sql.SQL(" WITH GRANT OPTION" if grantable else "")))


def _identity_sequence(conn: Connection, source: TableCopy, column: str) -> str:
    """The copy's own identity sequence of ``column``, as qualified SQL."""
    row = conn.execute("SELECT pg_catalog.pg_get_serial_sequence(%s, %s)",
                       (source.copy.as_string(conn), column)).fetchone()
    if row is None or row[0] is None:
        raise OnlineRetypeRefused(f"online copy of {source.display}: the copy's column {column} has no identity "
                                  f"sequence; nothing was swapped. Rerun apply --online")
    return str(row[0])


def _move_identities(conn: Connection, source: TableCopy) -> None:
    """In the swap: each identity sequence of the copy takes over the table's position and name. An identity
    sequence cannot change hands (OWNED BY), so the table's stays with it and goes when it is dropped; no insert
    can take a value meanwhile, since the swap holds ACCESS EXCLUSIVE on the table."""
    for number, (column, sequence, name, _kind) in enumerate(source.identities):
        ours = _identity_sequence(conn, source, column)
        conn.execute(sql.SQL("SELECT pg_catalog.setval({}, last_value, is_called) FROM {}").format(
            sql.Literal(ours), sql.SQL(sequence)))
        conn.execute(sql.SQL("ALTER SEQUENCE {} RENAME TO {}").format(
            sql.SQL(sequence), sql.Identifier(f"{OLD_NAME_PREFIX}seq_{source.oid}_{number}")))
        conn.execute(sql.SQL("ALTER SEQUENCE {} RENAME TO {}").format(sql.SQL(ours), sql.Identifier(name)))


def finish(conn: Connection, table: TableKey, retrying: Retrying[Any], *, label: str = "") -> None:
    """After the swap (also when a resumed run finds it done): drop the old table. Its foreign keys, added back
    NOT VALID by the swap, are validate_pending's."""
    old = sql.Identifier(table[0], old_name(table[1]))
    retrying(lambda: conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(old)),
             f"online copy of {sql.Identifier(*table).as_string(None)} (drop the old table)")
    checkpoints.reached(f"{label} old table dropped")


def pending_validations(conn: Connection, deferred: Sequence[str] = ()) -> list[tuple[str, str, bool]]:
    """The recorded foreign keys still to validate, but those on or pointing at a table of ``deferred``
    (qualified names), whose later swap adds them back NOT VALID again (pending_validations.sql): the table, the
    key's name, and whether the key is gone (dropped since the swap)."""
    if not _exists(conn, sql.Identifier("bhq_migrate", "copy_validations")):
        return []
    rows = conn.execute(_sql_file("pending_validations.sql"), {"deferred": list(deferred)}).fetchall()
    return [(str(table), str(name), bool(gone)) for table, name, gone in rows]


def validate_pending(conn: Connection, retrying: Retrying[Any], progress: ProgressSink, *, label: str = "",
                     deferred: Sequence[str] = ()) -> None:
    """Step 6: VALIDATE each foreign key a swap added back NOT VALID and recorded, one transaction each: this
    table's swap's, and those an earlier copy of the run left for now (``deferred``: the tables that later
    copies of the run will swap; the last retype of a plan passes none, so the plan ends with every key valid)."""
    for table, name, gone in pending_validations(conn, deferred):
        if gone:  # someone dropped it (or its table) since the swap: there is nothing left to validate
            progress(f"foreign key {name} on {table} no longer exists: nothing to validate", 0, 0)
            _forget_validation(conn, table, name)
            continue
        progress(f"validating foreign key {name} on {table}", 0, 0)
        retrying(partial(_validate, conn, table, name), f"online copy: validate {name} on {table}")
        checkpoints.reached(f"{label} validated {name}")


def _validate(conn: Connection, table: str, name: str) -> None:
    conn.execute(sql.SQL("ALTER TABLE {} VALIDATE CONSTRAINT {}").format(sql.SQL(table), sql.Identifier(name)))
    _forget_validation(conn, table, name)
    checkpoints.reached(f"validate {name} before commit")


def _forget_validation(conn: Connection, table: str, name: str) -> None:
    conn.execute("DELETE FROM bhq_migrate.copy_validations WHERE table_sql = %s AND constraint_name = %s",
                 (table, name))


def drop_copy(conn: Connection, table: TableKey) -> list[str]:
    """Remove what an unfinished copy left on ``table`` (copy, log, triggers, function), in the caller's
    transaction; returns what was dropped. For plain ``apply``, and for a copy whose table changed under it."""
    schema, name = table
    dropped: list[str] = []
    relation = sql.Identifier(schema, name)
    if _exists(conn, relation):
        for event in TRIGGER_EVENTS:
            conn.execute(sql.SQL("DROP TRIGGER IF EXISTS {} ON {}").format(
                sql.Identifier(TRIGGER_PREFIX + event), relation))
    conn.execute(sql.SQL("DROP FUNCTION IF EXISTS {}()").format(
        sql.Identifier(schema, f"{name}{FUNCTION_SUFFIX}"[:MAX_IDENTIFIER])))
    for leftover in (copy_name(name), log_name(name), old_name(name)):
        identifier = sql.Identifier(schema, leftover)
        if _exists(conn, identifier):
            conn.execute(sql.SQL("DROP TABLE {}").format(identifier))
            dropped.append(identifier.as_string(conn))
    return dropped


__all__ = ["TableCopy", "copy_exists", "copy_online", "drop_copy", "read_source", "validate_pending"]
