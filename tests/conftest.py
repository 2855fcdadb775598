"""Shared fixtures: a real PostgreSQL server per test session and a fresh database per test.

Databases are cloned from session-wide templates (``CREATE DATABASE ... TEMPLATE``), so a test that
needs the pre-fix baseline with sample data, or a fully migrated database, pays milliseconds for it.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from bhq_migrate.baseline.loader import SampleSize, load_baseline, load_sample_data
from tests.pg import TestServer, test_server

# A shell that starts the suite as a background job without job control (`bash .ci/run &` in a script) leaves
# SIGINT ignored, and every child inherits that: the Ctrl-C tests' children (tests/test_bad_input.py) would
# never see their interrupt and hang until their timeout. Give SIGINT back its default handler, which children
# then start with, as they do under an interactive terminal.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

REPO_ROOT = Path(__file__).resolve().parent.parent
PLANS_DIR = REPO_ROOT / "sql"
CHECKS_DIR = REPO_ROOT / "checks"
SMALL_SAMPLE = SampleSize(tenants=3, contacts=30, animals=20, invoices=200, payments=100)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[TestServer]:
    with test_server() as server:
        yield server


def _template(server: TestServer, name: str, build: object) -> str:
    dbname = server.create_database(name=server.unique_name(name))
    with psycopg.connect(server.url_for(dbname)) as conn:
        build(conn)  # type: ignore[operator]
    return dbname


@pytest.fixture(scope="session")
def baseline_template(pg_server: TestServer) -> Iterator[str]:
    def build(conn: psycopg.Connection) -> None:  # type: ignore[type-arg]
        load_baseline(conn)
        load_sample_data(conn, SMALL_SAMPLE)

    name = _template(pg_server, "bhq_tpl_baseline", build)
    yield name
    pg_server.drop_database(name)


@pytest.fixture(scope="session")
def migrated_template(pg_server: TestServer, baseline_template: str) -> Iterator[str]:
    """The baseline with the default (non-optional) plans applied by the real runner."""
    from bhq_migrate.migrate.runner import ApplyOptions, apply

    name = pg_server.create_database(template=baseline_template, name=pg_server.unique_name("bhq_tpl_migrated"))
    apply(pg_server.url_for(name), ApplyOptions(plans_dir=PLANS_DIR))
    yield name
    pg_server.drop_database(name)


def _fresh(server: TestServer, template: str | None) -> Iterator[str]:
    name = server.create_database(template=template)
    try:
        yield server.url_for(name)
    finally:
        server.drop_database(name)


@pytest.fixture
def empty_db(pg_server: TestServer) -> Iterator[str]:
    """URL of a fresh, empty database."""
    yield from _fresh(pg_server, None)


@pytest.fixture
def baseline_db(pg_server: TestServer, baseline_template: str) -> Iterator[str]:
    """URL of a fresh database holding the pre-fix schema and a small deterministic sample."""
    yield from _fresh(pg_server, baseline_template)


@pytest.fixture
def migrated_db(pg_server: TestServer, migrated_template: str) -> Iterator[str]:
    """URL of a fresh database migrated by ``apply`` (plans 001 and 002)."""
    yield from _fresh(pg_server, migrated_template)


APP_ROLE = "bhq_app"
"""The application's role in isolation tests: not an owner, no BYPASSRLS (cluster-wide, created once)."""


def create_app_role(url: str, role: str = APP_ROLE) -> None:
    """A NOLOGIN role with DML on every public table (tests reach it with SET ROLE)."""
    with psycopg.connect(url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
        if not exists:
            conn.execute(f'CREATE ROLE "{role}" NOLOGIN')  # type: ignore[arg-type]
        conn.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"')  # type: ignore[arg-type]
        conn.execute(f'GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO "{role}"')  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def isolated_template(pg_server: TestServer, migrated_template: str) -> Iterator[str]:
    """The migrated database with plan 004 (tenant isolation) applied by the runner, and the app role."""
    from bhq_migrate.migrate.runner import ApplyOptions, apply

    name = pg_server.create_database(template=migrated_template, name=f"bhq_tpl_isolated_{id(pg_server) % 100000}")
    apply(pg_server.url_for(name), ApplyOptions(plans_dir=PLANS_DIR, only=("004",)))
    create_app_role(pg_server.url_for(name))
    yield name
    pg_server.drop_database(name)


@pytest.fixture
def isolated_db(pg_server: TestServer, isolated_template: str) -> Iterator[str]:
    """URL of a fresh database migrated with plans 001, 002 and 004, with the app role granted DML."""
    yield from _fresh(pg_server, isolated_template)
