"""Start-up: --version, --help and completion import no command module; each command only what it uses.

Each case runs in a fresh interpreter and lists what got imported (``sys.modules``), which is what
``python -X importtime`` measures; the timings themselves are in bench/ (bench/startup.py), not here.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bhq_migrate.cli import COMMANDS

HEAVY = ("tree_sitter", "lark", "sqlglot", "pglast.printers")
COMMAND_MODULES = tuple(f"bhq_migrate.cli.{module}" for module in sorted({m for m, _ in COMMANDS.values()}))

RUN = """
import json, sys
sys.argv = ["bhq-migrate", *json.loads(sys.argv[1])]
from bhq_migrate.cli import main
if sys.argv[1:] != ["--import-only"]:
    try:
        main()
    except SystemExit:
        pass
sys.stderr.write("\\nMODULES " + json.dumps(sorted(sys.modules)) + "\\n")
"""


def imported(*args: str) -> tuple[set[str], str]:
    done = subprocess.run([sys.executable, "-c", RUN, json.dumps(list(args))], capture_output=True, text=True,
                          check=True)
    line = next(line for line in done.stderr.splitlines() if line.startswith("MODULES "))
    return set(json.loads(line.removeprefix("MODULES "))), done.stdout


def loaded(modules: set[str], prefix: str) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for name in modules)


@pytest.mark.parametrize("args", [("--import-only",), ("--version",)])
def test_importing_the_cli_and_version_pull_in_nothing_heavy(args: tuple[str, ...]) -> None:
    modules, out = imported(*args)
    assert [name for name in HEAVY if loaded(modules, name)] == []
    assert [name for name in COMMAND_MODULES if name in modules] == []
    assert not loaded(modules, "typer") and not loaded(modules, "psycopg")
    if args == ("--version",):
        assert out.startswith("bhq-migrate ")


def test_root_help_lists_every_command_without_importing_one() -> None:
    modules, out = imported("--help")
    assert [name for name in COMMAND_MODULES if name in modules] == []
    assert [name for name in HEAVY if loaded(modules, name)] == []
    assert not loaded(modules, "psycopg")
    for name in COMMANDS:
        assert f" {name} " in out


@pytest.mark.parametrize(("command", "banned"), [
    ("status", ("bhq_migrate.lint", "bhq_migrate.migrate.runner", *HEAVY)),
    ("verify", ("tree_sitter", "lark", "sqlglot", "bhq_migrate.scan", "bhq_migrate.lint")),
    ("apply", ("tree_sitter", "lark", "sqlglot", "bhq_migrate.scan")),
    # lint without -d: no database driver, nothing of plan's pre-flight (plan shares lint's command module).
    ("lint", ("tree_sitter", "lark", "bhq_migrate.scan", "bhq_migrate.verify", "psycopg", "bhq_migrate.connection",
              "bhq_migrate.migrate")),
])
def test_each_command_imports_only_what_it_uses(command: str, banned: tuple[str, ...]) -> None:
    modules, out = imported(command, "--help")
    assert "Usage: bhq-migrate " + command in " ".join(out.split())
    assert [name for name in banned if loaded(modules, name)] == []


def test_completion_lists_commands_without_importing_them() -> None:
    code = """
import sys
from bhq_migrate.cli import load_commands
import typer.main
group = typer.main.get_command(load_commands(()))
ctx = group.make_context("bhq-migrate", [], resilient_parsing=True)
print(" ".join(item.value for item in group.shell_complete(ctx, "")))
print(" ".join(sorted(name for name in sys.modules if name.startswith("bhq_migrate.cli."))))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    names, modules = done.stdout.splitlines()
    assert names.split() == list(COMMANDS)
    # app and the conventions its root group is built with (shared options; typer only): no command module
    assert modules.split() == ["bhq_migrate.cli.app", "bhq_migrate.cli.conventions"]


def test_the_listed_help_is_each_commands_own() -> None:
    """COMMANDS keeps the help texts for the lazy listing; they must not drift from the commands."""
    import typer.main

    from bhq_migrate.cli import full_app

    group = typer.main.get_command(full_app())
    for name, (module, help_text) in COMMANDS.items():
        command = group.commands[name]  # type: ignore[attr-defined]
        assert command.callback.__module__ == f"bhq_migrate.cli.{module}", name
        first_paragraph = (command.help or "").split("\n\n")[0]
        assert " ".join(first_paragraph.split()) == help_text, name
