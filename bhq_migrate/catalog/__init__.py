"""One read-only snapshot of the live catalog, shared by every command that asks the database what it has.

API::

    from bhq_migrate.catalog import Part, read_catalog, snapshot

    catalog = read_catalog(conn, Part.COLUMNS | Part.INDEXES, schemas=["public"], tables=[("public", "Animal")])
    catalog.tables[("public", "Animal")].columns["tenantId"].type      # 'integer'
    catalog.indexes_by_table[("public", "Animal")]                     # (Index(...), ...)

    with snapshot(conn) as session:            # several reads and your own queries, one snapshot
        catalog = session.read(Part.TABLES | Part.POLICIES)
        rows = session.execute("SELECT ...", params)
        session.round_trips                    # counted, not guessed

* **Parts** (:class:`Part`): ``TABLES`` (kind, owner, RLS enabled/forced, row and size estimates),
  ``COLUMNS`` (tables with their columns: type, nullability, default, identity/generated, enum, comment),
  ``INDEXES`` (key columns or expressions, sort order, INCLUDE, predicate, validity, method, uniqueness,
  backing constraint, definition), ``CONSTRAINTS`` (definition, columns, FK target and actions, validated),
  ``POLICIES`` (name, permissive, command, roles, USING, WITH CHECK), ``DEPENDENTS`` (what depends on each
  column, dependent views named), ``SEQUENCES`` (with their owning column), ``TRIGGERS``, ``ENUMS``.
  The caller asks only for what it uses: each part is one set-based query (``sql/<part>.sql``), so the number
  of round trips is 1 (context) + one per part, whatever the number of tables.
* **Scope**: ``schemas`` (None: every user schema), ``names`` (table names, bare or ``schema.table``), and
  ``tables`` (the exact tables to read in full; verify passes only the tables its checks name, so an
  unrelated table costs a few catalog rows scanned on the server and nothing in Python). The scope is
  written once, in ``sql/tables.sql``, which every other query starts from as the CTE ``tbl``.
* **Models** (``model.py``): frozen, slotted dataclasses keyed by qualified name ``(schema, name)``:
  :class:`Catalog`, :class:`Table`, :class:`Column`, :class:`Index`, :class:`Constraint`, :class:`Policy`,
  :class:`Dependent`, :class:`Sequence`, :class:`Trigger`, :class:`Enum`. A part not read leaves its maps
  empty (``catalog.parts`` says which were read).
* **Transactions**: on an autocommit connection :func:`snapshot` opens ``REPEATABLE READ READ ONLY`` (every
  query sees the same snapshot, and the server refuses any write) and rolls back; inside a caller's open
  transaction (``apply``) it reads there.

Locks (found on PostgreSQL 15.18 and pinned by ``tests/catalog/test_catalog.py``, which reads while another
session holds ACCESS EXCLUSIVE on a table, as a migration would):

* Reading ``pg_catalog`` takes ACCESS SHARE on the system catalogs only. ``format_type``,
  ``pg_get_triggerdef``, ``pg_describe_object``, ``col_description``, ``pg_get_userbyid`` and
  ``to_regclass`` read the system caches and do not open the user's tables. So ``TABLES``, ``DEPENDENTS``,
  ``SEQUENCES``, ``TRIGGERS`` and ``ENUMS`` read straight past a migration's lock.
* ``pg_get_expr`` (with a relation), ``pg_get_indexdef`` and ``pg_get_constraintdef`` open the table under
  ACCESS SHARE (current minor releases do, to survive a concurrent DROP). So the parts that deparse
  (``COLUMNS`` for defaults, ``INDEXES``, ``CONSTRAINTS``, ``POLICIES``) wait for an ACCESS EXCLUSIVE lock
  on a table in scope, and hold ACCESS SHARE until the snapshot ends. Mitigations: ask only for the parts
  and tables you need (locks are taken on the tables in scope only); :func:`snapshot` sets
  ``lock_timeout`` (:data:`~bhq_migrate.catalog.reader.LOCK_TIMEOUT`, 5 s) and ``statement_timeout``
  (60 s) in its own transaction where the session has none (``apply`` sets its own), so a read behind a
  migration fails in one line instead of hanging, and the transaction is rolled back as soon as the reads are
  done. ACCESS SHARE conflicts with nothing but ACCESS
  EXCLUSIVE: reads never block the application's queries.
* Deliberately not used: ``pg_relation_size`` / ``pg_total_relation_size`` (they open the table under
  ACCESS SHARE; sizes come from ``pg_class.relpages`` instead, an estimate as of the last
  VACUUM/ANALYZE/CREATE INDEX), ``pg_get_viewdef`` (deparsing a view locks every table it reads; dependent
  views are named, not deparsed) and ``pg_sequence_last_value`` (opens the sequence).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bhq_migrate.catalog.model import (
    FK_ACTIONS,
    POLICY_COMMANDS,
    Catalog,
    Column,
    Constraint,
    Dependent,
    Enum,
    Index,
    IndexColumn,
    Part,
    Policy,
    QName,
    Sequence,
    Table,
    Trigger,
)

if TYPE_CHECKING:
    from bhq_migrate.catalog.reader import CatalogSession, catalog_sql, read_catalog, snapshot

_READER = frozenset({"CatalogSession", "catalog_sql", "read_catalog", "snapshot"})


def __getattr__(name: str) -> Any:
    # The reader needs psycopg; the models do not. Importing it lazily keeps `lint` without a database (and
    # `--help`) free of the driver's import time.
    if name in _READER:
        from bhq_migrate.catalog import reader

        return getattr(reader, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "FK_ACTIONS",
    "POLICY_COMMANDS",
    "Catalog",
    "CatalogSession",
    "Column",
    "Constraint",
    "Dependent",
    "Enum",
    "Index",
    "IndexColumn",
    "Part",
    "Policy",
    "QName",
    "Sequence",
    "Table",
    "Trigger",
    "catalog_sql",
    "read_catalog",
    "snapshot",
]
