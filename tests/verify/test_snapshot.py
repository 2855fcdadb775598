"""The catalog snapshot: constant round trips, read-only, and usable by a role that cannot write."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from psycopg import conninfo

from bhq_migrate.catalog import CatalogSession
from bhq_migrate.errors import ConnectionFailed
from bhq_migrate.verify import snapshot as snapshot_module
from tests.verify.conftest import execute, run_verify


def add_unrelated_tables(url: str, count: int) -> None:
    statements = ["CREATE SCHEMA IF NOT EXISTS extra"]
    for n in range(count):
        statements += [
            f"CREATE TABLE extra.t{n} (id bigint PRIMARY KEY, code text UNIQUE, parent bigint "
            f"REFERENCES extra.t{n} (id), state text CHECK (state IN ('a', 'b')), created timestamptz DEFAULT now())",
            f"CREATE INDEX t{n}_parent ON extra.t{n} (parent) WHERE parent IS NOT NULL",
        ]
    execute(url, *statements)


def test_round_trips_do_not_grow_with_tables_or_checks(migrated_db: str) -> None:
    small = run_verify(migrated_db)
    fewer_checks = run_verify(migrated_db, plans=("001",))
    add_unrelated_tables(migrated_db, 40)
    large = run_verify(migrated_db)
    assert small.round_trips == fewer_checks.round_trips == large.round_trips
    assert small.round_trips <= 8
    assert len(snapshot_module.capture(migrated_db).tables) >= 40 + 13


def test_the_snapshot_is_read_in_one_read_only_transaction(migrated_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[str] = []
    original = CatalogSession.execute

    def record(self: CatalogSession, query: str, params: object = None) -> object:
        sent.append(" ".join(query.split()))
        return original(self, query, params)  # type: ignore[arg-type]

    monkeypatch.setattr(CatalogSession, "execute", record)
    run_verify(migrated_db)
    assert sent[0] == "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
    assert sent[-1] == "ROLLBACK"
    body = sent[1:-1]
    assert body and all("SELECT" in q for q in body)


@pytest.fixture
def read_only_url(migrated_db: str) -> str:
    role, password = f"verify_ro_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    dbname = conninfo.conninfo_to_dict(migrated_db)["dbname"]
    execute(
        migrated_db,
        f"CREATE ROLE {role} LOGIN PASSWORD '{password}'",
        f'GRANT CONNECT ON DATABASE "{dbname}" TO {role}',
        f"GRANT USAGE ON SCHEMA public, marketplace, bhq_migrate TO {role}",
        f"GRANT SELECT ON bhq_migrate.history TO {role}",
    )
    params = conninfo.conninfo_to_dict(migrated_db)
    params.update(user=role, password=password)
    return conninfo.make_conninfo(**params)  # type: ignore[arg-type]


def test_a_role_without_write_privileges_can_run_verify(read_only_url: str) -> None:
    with psycopg.connect(read_only_url, autocommit=True) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute('UPDATE "Tenant" SET name = name')
    report = run_verify(read_only_url)
    assert report.plans == ["001", "002"]
    assert report.failures == []


def test_a_role_that_cannot_read_history_gets_a_one_line_hint(read_only_url: str, migrated_db: str) -> None:
    role = conninfo.conninfo_to_dict(read_only_url)["user"]
    execute(migrated_db, f"REVOKE SELECT ON bhq_migrate.history FROM {role}")
    with pytest.raises(ConnectionFailed, match=r"permission denied for table history \(verify needs .* SELECT"):
        run_verify(read_only_url)
