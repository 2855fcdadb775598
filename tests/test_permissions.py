"""A role without a privilege a command needs: one plain line naming what it may not read and whom the command
connected as, exit 2 (real PostgreSQL, the real command line in a child process)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from tests.helpers import run_cli

PASSWORD = "pw-noread-83"


@contextmanager
def _role_without_privileges(url: str) -> Iterator[tuple[str, str]]:
    """(URL, role) of a login role that may connect to the database behind ``url`` and read none of its tables
    or of bhq_migrate's schema."""
    role = f"bhq_noread_{uuid.uuid4().hex[:8]}"  # roles are cluster-wide: a name no parallel test shares
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{PASSWORD}'")  # type: ignore[arg-type]
    params = conninfo_to_dict(url)
    params.update(user=role, password=PASSWORD)
    try:
        yield make_conninfo(**params), role  # type: ignore[arg-type]
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f"DROP ROLE {role}")  # type: ignore[arg-type]


CASES = [
    # The pre-fix database: plan's pre-flight reads the tables.
    ("baseline_db", ["plan"], "table"),
    ("baseline_db", ["plan", "--format", "json"], "table"),
    ("baseline_db", ["plan", "--format", "html"], "table"),
    # A migrated database: the history lives in schema bhq_migrate, which the role may not use.
    ("migrated_db", ["plan"], "schema bhq_migrate"),
    ("migrated_db", ["status"], "schema bhq_migrate"),
    ("migrated_db", ["audit-prisma", "tests/prisma/fixtures/seed_models.prisma"], "schema bhq_migrate"),
    ("migrated_db", ["lint", "sql"], "schema bhq_migrate"),  # lint -d reads the catalog, bhq_migrate's too
]


@pytest.mark.parametrize(("database", "command", "denied"), CASES, ids=lambda value: " ".join(value)
                         if isinstance(value, list) else str(value))
def test_what_the_role_may_not_read_is_one_plain_line(
    request: pytest.FixtureRequest, database: str, command: list[str], denied: str
) -> None:
    with _role_without_privileges(request.getfixturevalue(database)) as (url, role):
        result = run_cli(*command, "--database-url", url)
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: insufficient privilege: permission denied for {denied}"), lines[0]
    assert f"(connected as {role}@" in lines[0]
    for word in ("internal error", "Traceback", "unexpected", PASSWORD):
        assert word not in result.stderr + result.stdout


@pytest.mark.parametrize("command", [["apply"], ["apply", "--dry-run"], ["verify"]], ids=" ".join)
def test_the_other_connecting_commands_say_it_in_one_line_too(migrated_db: str, command: list[str]) -> None:
    """apply and verify have their own wording (apply's names the SQLSTATE, verify's the grants it needs)."""
    with _role_without_privileges(migrated_db) as (url, _role):
        result = run_cli(*command, "--database-url", url)
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "permission denied for schema bhq_migrate" in lines[0]
    for word in ("internal error", "Traceback", "unexpected", PASSWORD):
        assert word not in result.stderr + result.stdout
