"""A plan or plans folder with nothing to run is an error before connecting, never "applied"."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import run_cli, scalar

UNREACHABLE = "postgresql://ops@127.0.0.1:1/breederhq"  # a connection attempt would fail differently


def _one_line_error(result) -> str:  # type: ignore[no-untyped-def]
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr and "unexpected" not in result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "plan has no statement"),
        (b"-- description: nothing here yet\n/* TODO */\n", "plan has no statement"),
        (b"\x00\x01\x02binary", "binary content (a NUL byte)"),
    ],
    ids=["empty", "comments-only", "nul-byte"],
)
def test_apply_refuses_a_plan_without_statements_and_records_nothing(
    baseline_db: str, tmp_path: Path, content: bytes, message: str
) -> None:
    (tmp_path / "001_first.sql").write_bytes(content)
    line = _one_line_error(run_cli("apply", "--database-url", baseline_db, "--plans-dir", str(tmp_path)))
    assert "001_first.sql" in line and message in line
    assert scalar(baseline_db, "SELECT to_regclass('bhq_migrate.history') IS NULL") is True


@pytest.mark.parametrize(
    "command",
    [
        ["apply", "--database-url", UNREACHABLE],
        ["status", "--database-url", UNREACHABLE],
        ["plan", "--database-url", UNREACHABLE],
        ["verify", "--database-url", UNREACHABLE],
    ],
    ids=lambda command: command[0],
)
def test_an_empty_plans_folder_is_an_error_before_connecting(tmp_path: Path, command: list[str]) -> None:
    line = _one_line_error(run_cli(*command, "--plans-dir", str(tmp_path)))
    assert line == f"error: {tmp_path}: no plans in this folder (files named NNN_slug.sql)"


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "no SQL statement"), (b"-- nothing\n", "no SQL statement"), (b"SELECT 1;\x00", "binary content")],
    ids=["empty", "comments-only", "nul-byte"],
)
def test_lint_refuses_a_file_without_statements(tmp_path: Path, content: bytes, message: str) -> None:
    (tmp_path / "001_first.sql").write_bytes(content)
    assert message in _one_line_error(run_cli("lint", str(tmp_path)))


def test_lint_refuses_a_folder_without_sql_files(tmp_path: Path) -> None:
    assert _one_line_error(run_cli("lint", str(tmp_path))) == "error: no .sql files to lint"
