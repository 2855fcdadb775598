"""Every command that connects runs under --lock-timeout and --statement-timeout: behind another session's
`BEGIN; LOCK ...` it gives up after the timeout with one line naming the blocker, and exits 2."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from tests.conftest import PLANS_DIR
from tests.helpers import REPO_ROOT, run_cli

SEED_MODELS = REPO_ROOT / "tests" / "prisma" / "fixtures" / "seed_models.prisma"

# command line (after the URL), the database it needs, the table another session locks
CASES = {
    "status": (["status"], "migrated_db", "bhq_migrate.history"),
    "verify": (["verify", "--plans-dir", str(PLANS_DIR)], "migrated_db", '"Invoice"'),
    "plan": (["plan", "--plans-dir", str(PLANS_DIR)], "baseline_db", '"Invoice"'),
    "audit-prisma": (["audit-prisma", str(SEED_MODELS)], "migrated_db", '"Invoice"'),
}
CONNECTING_COMMANDS = ["apply", "status", "verify", "plan", "audit-prisma", "demo"]


@pytest.fixture
def locked(request: pytest.FixtureRequest) -> Iterator[tuple[list[str], int]]:
    """(command line with URL, pid of the session holding ACCESS EXCLUSIVE on the case's table)."""
    args, database, table = CASES[request.param]
    url = request.getfixturevalue(database)
    with psycopg.connect(url) as holder:
        holder.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")  # type: ignore[arg-type]
        yield [*args, "--database-url", url], holder.info.backend_pid
        holder.rollback()


def _one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr and "unexpected" not in stderr
    return lines[0]


@pytest.mark.parametrize("locked", list(CASES), indirect=True)
def test_a_command_behind_an_exclusive_lock_gives_up_after_lock_timeout_naming_the_blocker(
    locked: tuple[list[str], int],
) -> None:
    args, pid = locked
    result = run_cli(*args, "--lock-timeout", "200ms")
    assert result.returncode == 2, (result.stdout, result.stderr)
    line = _one_line(result.stderr)
    assert "could not get a lock within lock_timeout=200ms" in line
    assert f"pid {pid} (user" in line and "idle in transaction" in line and "query: LOCK TABLE" in line


@pytest.mark.parametrize("locked", ["verify"], indirect=True)
def test_statement_timeout_bounds_a_wait_when_lock_timeout_is_off(locked: tuple[list[str], int]) -> None:
    args, pid = locked
    result = run_cli(*args, "--lock-timeout", "0", "--statement-timeout", "300ms")
    assert result.returncode == 2
    line = _one_line(result.stderr)
    assert "statement_timeout=300ms" in line and f"pid {pid}" in line


@pytest.mark.parametrize("command", CONNECTING_COMMANDS)
def test_every_connecting_command_documents_both_timeouts(command: str) -> None:
    result = run_cli(command, "--help", env={"COLUMNS": "200"})
    assert result.returncode == 0
    assert "--lock-timeout" in result.stdout and "--statement-timeout" in result.stdout


@pytest.mark.parametrize("option", ["--lock-timeout", "--statement-timeout"])
@pytest.mark.parametrize("command", ["status", "verify", "plan", "apply"])
def test_a_bad_duration_is_one_line_naming_the_option(command: str, option: str) -> None:
    result = run_cli(command, "--database-url", "postgresql://nobody@127.0.0.1:1/none", option, "soon")
    assert result.returncode == 2
    line = _one_line(result.stderr)
    assert option in line and "'soon' is not a duration" in line
