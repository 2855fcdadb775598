"""A failed write to stdout is never a silent success, for every command (one mechanism in the CLI layer).

- stdout closed (``>&-``): refused before anything runs, one line, exit 2;
- a write error (``> /dev/full``): one line, exit 2;
- a broken pipe (``| head``): exit 141, nothing on stderr (the shell's status for SIGPIPE, as git does).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO_ROOT, scalar

BROKEN_PIPE = 141


def _run(args: list[str], stdout: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m bhq_migrate ARGS`` with stdout closed, on /dev/full, or on a pipe nobody reads."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    env.pop("DATABASE_URL", None)
    command = [sys.executable, "-m", "bhq_migrate", *args]
    if stdout == "closed":  # as the shell does for `>&-`
        command = ["sh", "-c", 'exec "$@" >&-', "sh", *command]
        return subprocess.run(command, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO_ROOT, timeout=120)
    if stdout == "full":
        with open("/dev/full", "w") as full:
            return subprocess.run(command, stdout=full, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO_ROOT,
                                  timeout=120)
    reader, writer = os.pipe()
    os.close(reader)  # closed before the child starts: its first write fails with EPIPE, whatever the timing
    try:
        return subprocess.run(command, stdout=writer, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO_ROOT,
                              timeout=120)
    finally:
        os.close(writer)


def _commands(url: str) -> dict[str, list[str]]:
    return {
        "--version": ["--version"],
        "--help": ["--help"],
        "status": ["status", "-d", url],
        "verify": ["verify", "-d", url],
        "plan": ["plan", "--database-url", url],
        "lint": ["lint", "sql"],
        "scan-queries": ["scan-queries", "tests/scan/fixtures/app"],
        "audit-prisma": ["audit-prisma", "-d", url, "tests/prisma/fixtures/seed_models.prisma"],
    }


COMMANDS = list(_commands("").keys())


def _assert_one_line(result: subprocess.CompletedProcess[str], message: str) -> None:
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == f"error: cannot write to standard output: {message}", result.stderr


@pytest.mark.parametrize("command", COMMANDS)
def test_a_closed_stdout_is_an_error(migrated_db: str, command: str) -> None:
    _assert_one_line(_run(_commands(migrated_db)[command], "closed"), "it is closed")


@pytest.mark.parametrize("command", COMMANDS)
def test_a_write_error_on_stdout_is_an_error(migrated_db: str, command: str) -> None:
    _assert_one_line(_run(_commands(migrated_db)[command], "full"), "No space left on device")


@pytest.mark.parametrize("command", ["--version", "status", "lint", "verify"])
def test_a_broken_pipe_exits_quietly_with_the_sigpipe_status(migrated_db: str, command: str) -> None:
    result = _run(_commands(migrated_db)[command], "pipe")
    assert (result.returncode, result.stderr) == (BROKEN_PIPE, "")


def test_apply_with_a_closed_stdout_changes_nothing(baseline_db: str, tmp_path: Path) -> None:
    result = _run(["apply", "-d", baseline_db], "closed")
    _assert_one_line(result, "it is closed")
    assert scalar(baseline_db, "SELECT to_regclass('bhq_migrate.history') IS NULL") is True
