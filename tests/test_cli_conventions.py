"""Conventions every command shares: --quiet/--verbose/--color, conventional metavars, -d and -f, completion."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from bhq_migrate.cli import COMMAND_MODULES, full_app
from tests.helpers import run_cli

app = full_app()
runner = CliRunner()
COMMANDS = sorted(COMMAND_MODULES)
ANSI = re.compile(r"\x1b\[[0-9;]*m")
BAD_SQL = "ALTER TABLE t ALTER COLUMN c TYPE bigint;\nBEGIN;\n"


def _params(command: str) -> list[object]:
    group = get_command(full_app())
    return list(group.commands[command].params)  # type: ignore[attr-defined]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_quiet_verbose_and_color(command: str) -> None:
    names = {opt for param in _params(command) for opt in param.opts}  # type: ignore[attr-defined]
    assert {"--quiet", "-q", "--verbose", "-v", "--color"} <= names


@pytest.mark.parametrize("command", COMMANDS)
def test_help_shows_conventional_metavars(command: str) -> None:
    result = runner.invoke(app, [command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    options = result.stdout.split("Options", 1)[1]
    assert re.findall(r"<[a-z][\w\[\], |]*>", options) == [], "Python type names in help"
    assert re.search(r"--help\s+Show this message", options), "a flag shows no metavar"


@pytest.mark.parametrize("command", COMMANDS)
def test_short_options_mean_the_same_everywhere(command: str) -> None:
    meaning = {"-d": "--database-url", "-f": "--format", "-q": "--quiet", "-v": "--verbose"}
    for param in _params(command):
        opts = param.opts  # type: ignore[attr-defined]
        for short, long in meaning.items():
            if short in opts:
                assert long in opts, f"{command}: {short} is {opts}"
            if long in opts and long in ("--database-url", "--format"):
                assert short in opts, f"{command}: {long} has no {short}"


def test_quiet_keeps_the_exit_code_and_machine_output(tmp_path: Path) -> None:
    plan = tmp_path / "001.sql"
    plan.write_text(BAD_SQL)
    loud = runner.invoke(app, ["lint", str(plan)])
    quiet = runner.invoke(app, ["lint", str(plan), "--quiet"])
    assert loud.exit_code == quiet.exit_code == 1
    assert "L001" in loud.stdout and quiet.stdout == ""
    body = json.loads(runner.invoke(app, ["lint", str(plan), "-q", "-f", "json"]).stdout)
    assert body["ok"] is False


def test_verbose_logs_sql_timings_and_the_config_file(migrated_db: str, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.ts").write_text("export const x = 1;\n")
    (tmp_path / "bhq-migrate.toml").write_text("[scan]\nfail-on = 'warning'\n")
    result = run_cli("verify", "-d", migrated_db, "--source", str(tmp_path / "src"), "--verbose")
    assert result.returncode == 0, result.stderr
    assert re.search(r"debug: bhq_migrate\.sql: [0-9.]+ ms  BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                     result.stderr)
    assert re.search(r"debug: bhq_migrate\.sql: [0-9.]+ ms  .*SELECT .*FROM pg_catalog\.pg_index", result.stderr)
    assert f"config file {tmp_path / 'bhq-migrate.toml'}" in result.stderr
    assert re.search(r"verify finished in [0-9.]+ s", result.stderr)
    assert "debug:" not in run_cli("verify", "-d", migrated_db).stderr


@pytest.mark.parametrize(
    ("args", "env", "coloured"),
    [
        (("--color", "always"), {}, True),
        (("--color", "never"), {"FORCE_COLOR": "1"}, False),
        ((), {"FORCE_COLOR": "1"}, True),
        ((), {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
        ((), {}, False),  # auto, piped: plain text
    ],
)
def test_color_option_and_environment(tmp_path: Path, args: tuple[str, ...], env: dict[str, str],
                                      coloured: bool) -> None:
    plan = tmp_path / "001.sql"
    plan.write_text(BAD_SQL)
    base = {key: value for key, value in os.environ.items() if key not in ("NO_COLOR", "FORCE_COLOR")}
    result = run_cli("lint", str(plan), *args, env={**base, **env, "TERM": "xterm-256color"})
    assert result.returncode == 1
    assert bool(ANSI.search(result.stdout)) is coloured, result.stdout[:200]


def test_shell_completion_is_enabled() -> None:
    result = run_cli(env={"_BHQ_MIGRATE_COMPLETE": "complete_bash", "COMP_WORDS": "bhq-migrate sca",
                          "COMP_CWORD": "1"})
    assert "scan-queries" in result.stdout
