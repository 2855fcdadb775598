"""The shared catalog snapshot, against a real PostgreSQL: every part, the scope, round trips, and locks."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from bhq_migrate.catalog import Part, read_catalog, snapshot

SCHEMA = """
CREATE SCHEMA app;
CREATE TYPE app.mood AS ENUM ('calm', 'busy');
CREATE TABLE app.tenant (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);
CREATE TABLE app.animal (
    id serial PRIMARY KEY,
    "tenantId" bigint NOT NULL REFERENCES app.tenant (id) ON DELETE CASCADE,
    name varchar(40) DEFAULT 'rex',
    moods app.mood[],
    price_cents integer CHECK (price_cents >= 0),
    name_upper text GENERATED ALWAYS AS (upper(name)) STORED,
    "deletedAt" timestamp
);
COMMENT ON COLUMN app.animal.name IS 'display name';
ALTER TABLE app.animal ADD CONSTRAINT animal_price_positive CHECK (price_cents > 0) NOT VALID;
CREATE UNIQUE INDEX animal_name ON app.animal ("tenantId", lower(name) DESC NULLS LAST) INCLUDE (id)
    WHERE "deletedAt" IS NULL;
CREATE VIEW app.animal_names AS SELECT name FROM app.animal;
ALTER TABLE app.animal ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.animal FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON app.animal AS RESTRICTIVE FOR UPDATE TO PUBLIC
    USING ("tenantId" = current_setting('app.tenant')::bigint) WITH CHECK ("tenantId" > 0);
CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';
CREATE TRIGGER animal_touch BEFORE UPDATE ON app.animal FOR EACH ROW EXECUTE FUNCTION app.touch();
CREATE TABLE other.thing (id int);
"""


@pytest.fixture
def conn(empty_db: str) -> Iterator[psycopg.Connection]:  # type: ignore[type-arg]
    with psycopg.connect(empty_db, autocommit=True) as connection:
        connection.execute("CREATE SCHEMA other")
        connection.execute(SCHEMA)  # type: ignore[arg-type]
        connection.execute("ANALYZE")
        yield connection


ANIMAL = ("app", "animal")


def test_tables_and_columns(conn: psycopg.Connection) -> None:  # type: ignore[type-arg]
    catalog = read_catalog(conn, Part.COLUMNS, schemas=["app"])
    assert set(catalog.tables) == {("app", "tenant"), ANIMAL}
    animal = catalog.tables[ANIMAL]
    assert (animal.kind, animal.rls_enabled, animal.rls_forced, animal.is_partition) == ("r", True, True, False)
    assert animal.owner and animal.analyzed and animal.total_bytes >= animal.heap_bytes
    assert list(animal.columns) == ["id", "tenantId", "name", "moods", "price_cents", "name_upper", "deletedAt"]
    name = animal.columns["name"]
    assert (name.type, name.type_name, name.type_modifier, name.not_null) == ("character varying(40)", "varchar", 44,
                                                                             False)
    assert (name.default, name.comment) == ("'rex'::character varying", "display name")
    assert animal.columns["id"].default == "nextval('app.animal_id_seq'::regclass)"
    assert catalog.tables[("app", "tenant")].columns["id"].identity == "a"
    assert animal.columns["name_upper"].generated == "s"
    moods = animal.columns["moods"]
    assert (moods.is_array, moods.enum_name, moods.type) == (True, "mood", "app.mood[]")
    assert catalog.schemas == frozenset({"app"}) and catalog.indexes == {}


def test_indexes_constraints_policies_triggers(conn: psycopg.Connection) -> None:  # type: ignore[type-arg]
    catalog = read_catalog(conn, Part.INDEXES | Part.CONSTRAINTS | Part.POLICIES | Part.TRIGGERS, schemas=["app"])
    assert catalog.tables == {}  # not asked for
    index = catalog.indexes[("app", "animal_name")]
    assert index.table == ANIMAL and index.unique and not index.primary and index.valid and index.method == "btree"
    assert index.key_columns == ("tenantId", None)
    assert index.keys[1].expression == "lower(name::text)" and index.keys[1].descending
    assert not index.keys[1].nulls_first and index.include == ("id",)
    assert index.predicate == '("deletedAt" IS NULL)' and index.definition.startswith("CREATE UNIQUE INDEX")
    assert catalog.indexes[("app", "animal_pkey")].constraint == "animal_pkey"

    fk = next(c for c in catalog.constraints_by_table[ANIMAL] if c.type == "f")
    assert (fk.columns, fk.ref_table, fk.ref_columns, fk.on_delete, fk.on_update) == (
        ("tenantId",), ("app", "tenant"), ("id",), "cascade", "no action")
    check = catalog.constraint(ANIMAL, "animal_price_positive")
    assert check is not None and not check.validated and check.expression == "(price_cents > 0)"
    assert check.definition == "CHECK ((price_cents > 0)) NOT VALID"
    pk = catalog.primary_key(ANIMAL)
    assert pk is not None and pk.columns == ("id",)

    policy = catalog.policies[(ANIMAL, "tenant_isolation")]
    assert (policy.permissive, policy.command, policy.roles) == (False, "UPDATE", ("public",))
    assert policy.using and "current_setting" in policy.using and policy.with_check == '("tenantId" > 0)'
    trigger = catalog.triggers[(ANIMAL, "animal_touch")]
    assert (trigger.enabled, trigger.function) == ("O", "app.touch") and "BEFORE UPDATE" in trigger.definition
    assert [t.name for t in catalog.triggers_by_table[ANIMAL]] == ["animal_touch"]  # FK triggers are internal


def test_dependents_sequences_enums(conn: psycopg.Connection) -> None:  # type: ignore[type-arg]
    catalog = read_catalog(conn, Part.DEPENDENTS | Part.SEQUENCES | Part.ENUMS, schemas=["app"])
    on_name = catalog.dependents[(ANIMAL, "name")]
    assert [(d.view, d.view_kind) for d in on_name if d.view] == [(("app", "animal_names"), "v")]
    descriptions = " | ".join(d.description for d in on_name)
    assert "index app.animal_name" in descriptions and "name_upper" in descriptions  # the generated column
    assert "column name of" not in descriptions  # its own default belongs to the column
    sequence = catalog.sequences[("app", "animal_id_seq")]
    assert (sequence.data_type, sequence.owned_by, sequence.start) == ("integer", ("app", "animal", "id"), 1)
    assert catalog.enums[("app", "mood")].labels == ("calm", "busy")


def test_scope_by_names_and_detail(conn: psycopg.Connection) -> None:  # type: ignore[type-arg]
    everything = read_catalog(conn, Part.TABLES)
    assert {("app", "tenant"), ANIMAL, ("other", "thing")} <= set(everything.tables)
    assert everything.tables[ANIMAL].columns == {}
    by_name = read_catalog(conn, Part.TABLES, names=["thing", "app.tenant"])
    assert set(by_name.tables) == {("other", "thing"), ("app", "tenant")}
    detail = read_catalog(conn, Part.ALL, tables=[ANIMAL, ("app", "missing")])
    assert set(detail.tables) == {ANIMAL}
    assert {index.table for index in detail.indexes.values()} == {ANIMAL}
    assert set(detail.sequences) == {("app", "animal_id_seq")}
    assert read_catalog(conn, Part.TABLES, schemas=["nope"]).tables == {}


def test_round_trips_are_one_per_part_whatever_the_table_count(conn: psycopg.Connection) -> None:  # type: ignore[type-arg]
    def trips() -> int:
        with snapshot(conn) as session:
            session.read(Part.ALL)
        return session.round_trips

    before = trips()
    conn.execute("".join(f"CREATE TABLE other.t{n} (id int PRIMARY KEY, ref int REFERENCES other.t{n});"
                         for n in range(30)))  # type: ignore[arg-type]
    assert trips() == before == 2 + 1 + 8  # BEGIN/ROLLBACK, context, one per part (COLUMNS implies TABLES)


def test_the_snapshot_is_read_only(conn: psycopg.Connection) -> None:  # type: ignore[type-arg]
    with snapshot(conn) as session, pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        session.execute("CREATE TABLE app.nope (id int)")


def test_inside_a_callers_transaction_it_reads_there(empty_db: str) -> None:
    with psycopg.connect(empty_db) as conn:
        conn.execute("CREATE TABLE fresh (id int)")  # not committed: only this transaction sees it
        assert ("public", "fresh") in read_catalog(conn, Part.TABLES).tables


@pytest.fixture
def locked(empty_db: str, conn: psycopg.Connection) -> Iterator[None]:  # type: ignore[type-arg]
    """Another session holds ACCESS EXCLUSIVE on app.animal and app.tenant (as a migration would)."""
    with psycopg.connect(empty_db) as holder:
        holder.execute("LOCK TABLE app.animal, app.tenant IN ACCESS EXCLUSIVE MODE")
        yield


LOCK_FREE = Part.TABLES | Part.DEPENDENTS | Part.SEQUENCES | Part.TRIGGERS | Part.ENUMS
DEPARSING = Part.COLUMNS | Part.INDEXES | Part.CONSTRAINTS | Part.POLICIES


@pytest.mark.usefixtures("locked")
def test_lock_free_parts_read_past_an_access_exclusive_lock(conn: psycopg.Connection) -> None:  # type: ignore[type-arg]
    # The lock is held before the read starts: if any function opened the table, this would fail with
    # LockNotAvailable after lock_timeout instead of returning.
    with snapshot(conn, lock_timeout="20s") as session:
        catalog = session.read(LOCK_FREE, schemas=["app"])
    assert ANIMAL in catalog.tables and (ANIMAL, "animal_touch") in catalog.triggers


@pytest.mark.usefixtures("locked")
def test_deparsing_parts_lock_only_the_tables_in_scope(conn: psycopg.Connection) -> None:  # type: ignore[type-arg]
    with snapshot(conn, lock_timeout="20s") as session:
        catalog = session.read(Part.ALL, schemas=["other"])
    assert ("other", "thing") in catalog.tables
    # pg_get_expr / pg_get_indexdef / pg_get_constraintdef open the table (ACCESS SHARE): the wait is bounded.
    with pytest.raises(psycopg.errors.LockNotAvailable), snapshot(conn, lock_timeout="50ms") as session:
        session.read(DEPARSING, tables=[ANIMAL])


def test_its_own_transaction_bounds_lock_and_statement_timeouts(conn: psycopg.Connection) -> None:  # type: ignore[type-arg]
    with snapshot(conn) as session:
        session.read(Part.TABLES)
        assert session.execute("SELECT current_setting('lock_timeout'), current_setting('statement_timeout')") == [
            ("5s", "1min")]
    conn.execute("SET lock_timeout = '3s'")  # a session's own setting (apply's runner) wins
    with snapshot(conn) as session:
        session.read(Part.TABLES)
        assert session.execute("SELECT current_setting('lock_timeout')") == [("3s",)]
    assert conn.execute("SHOW statement_timeout").fetchone() == ("0",)  # SET LOCAL: gone with the snapshot
