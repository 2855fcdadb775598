"""Command-line interface: a thin typer layer over the library.

Each command module registers its commands on :data:`app` when imported. ``main()`` imports only the module
of the command being run: `apply` is timed against `psql -f`, and importing tree-sitter, lark and sqlglot
for it would be pure start-up overhead. ``--help`` (or an unknown command) loads them all.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterable

import typer

from bhq_migrate.cli.app import app, run_checked

COMMAND_MODULES: dict[str, str] = {
    "apply": "migrate",
    "status": "migrate",
    "demo": "demo",
    "verify": "verify",
    "lint": "lint",
    "plan": "lint",
    "scan-queries": "scan",
    "export-prisma": "prisma",
    "audit-prisma": "prisma",
}


def load_commands(modules: Iterable[str] | None = None) -> typer.Typer:
    """Register the commands of ``modules`` (default: every command) on ``app`` and return it."""
    for module in sorted(set(COMMAND_MODULES.values()) if modules is None else set(modules)):
        importlib.import_module(f"bhq_migrate.cli.{module}")
    return app


def full_app() -> typer.Typer:
    """The application with every command registered (for tests and documentation)."""
    return load_commands()


def main() -> None:
    command = next((arg for arg in sys.argv[1:] if not arg.startswith("-")), None)
    module = COMMAND_MODULES.get(command or "")
    load_commands([module] if module else None)
    run_checked(app)  # a failed write to stdout is an error for every command, in one place


__all__ = ["COMMAND_MODULES", "app", "full_app", "load_commands", "main"]
