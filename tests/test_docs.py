"""The README is the newcomer's path: every command, exit code and option of apply is documented there."""

from __future__ import annotations

import re

import pytest
from typer.main import get_command

from bhq_migrate.cli import COMMAND_MODULES, full_app
from bhq_migrate.exitcodes import ExitCode
from tests.helpers import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
HEADINGS = "\n".join(line for line in README.splitlines() if line.startswith("#"))


def test_every_registered_command_is_known_to_the_lazy_loader() -> None:
    registered = set(get_command(full_app()).commands)  # type: ignore[attr-defined]
    assert registered == set(COMMAND_MODULES)


@pytest.mark.parametrize("command", sorted(COMMAND_MODULES))
def test_every_command_has_a_readme_section(command: str) -> None:
    assert f"`{command}`" in HEADINGS or f"`{command} " in HEADINGS, f"no README heading mentions `{command}`"


@pytest.mark.parametrize("code", list(ExitCode))
def test_every_exit_code_is_documented(code: ExitCode) -> None:
    assert re.search(rf"^\| {int(code)} \|", README, re.MULTILINE)


APPLY_OPTIONS = sorted(
    {p.opts[0] for p in get_command(full_app()).commands["apply"].params if p.opts[0].startswith("--")}  # type: ignore[attr-defined]
)


@pytest.mark.parametrize("option", APPLY_OPTIONS)
def test_every_apply_option_is_documented(option: str) -> None:
    assert f"`{option}" in README


def test_readme_starts_with_the_two_commands_ci_runs() -> None:
    ci = (REPO_ROOT / ".ci" / "run").read_text()
    first_block = README.split("```bash", 1)[1].split("```", 1)[0]
    assert "bhq-migrate demo" in first_block and "bash scripts/test" in first_block
    assert "bash scripts/test" in ci


@pytest.mark.parametrize("command", sorted(COMMAND_MODULES))
def test_every_command_runs_through_the_lazy_entry_point(command: str) -> None:
    """`main()` loads one command module; the app must stay a group even when that module has one command."""
    from tests.helpers import run_cli

    result = run_cli(command, "--help")
    assert result.returncode == 0, result.stderr
    assert f" {command} [OPTIONS]" in result.stdout
