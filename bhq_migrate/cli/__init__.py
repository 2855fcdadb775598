"""Command-line interface: a thin typer layer over the library.

Each command module registers its commands on :data:`app` when imported. ``main()`` imports only the module
of the command being run: `apply` is timed against `psql -f`, and importing tree-sitter, lark and sqlglot
for it would be pure start-up overhead. ``--help`` (or an unknown command) loads them all.

Nothing heavy is imported at module level: ``main()`` imports typer, rich and the command inside its
Ctrl-C guard, so an interrupt during start-up prints ``interrupted`` and exits 130 like one at any
later moment, instead of a 30-line ``KeyboardInterrupt`` traceback from the middle of an import.
"""

from __future__ import annotations

import importlib
import sys

TYPE_CHECKING = False  # not typing's: importing typing alone takes ~15 ms, outside the Ctrl-C guard
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

    import typer

INTERRUPTED = 130
"""Exit code after Ctrl-C (128 + SIGINT); bhq_migrate.cli.app uses the same value."""

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
    from bhq_migrate.cli.app import app

    for module in sorted(set(COMMAND_MODULES.values()) if modules is None else set(modules)):
        importlib.import_module(f"bhq_migrate.cli.{module}")
    return app


def full_app() -> typer.Typer:
    """The application with every command registered (for tests and documentation)."""
    return load_commands()


def main() -> None:
    try:
        command = next((arg for arg in sys.argv[1:] if not arg.startswith("-")), None)
        module = COMMAND_MODULES.get(command or "")
        app = load_commands([module] if module else None)
        from bhq_migrate.cli.app import run_checked

        run_checked(app)  # a failed write to stdout is an error for every command, in one place
    except KeyboardInterrupt:  # during an import, before the app's own handler exists (or after it is done)
        sys.stderr.write("interrupted\n")
        sys.stderr.flush()
        sys.exit(INTERRUPTED)


def __getattr__(name: str) -> Any:
    if name == "app":  # imported on first use, not with the package (see the module docstring)
        from bhq_migrate.cli.app import app

        return app
    raise AttributeError(name)


__all__ = ["COMMAND_MODULES", "app", "full_app", "load_commands", "main"]
