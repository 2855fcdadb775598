"""Command-line interface: a thin typer layer over the library.

Each command module registers its commands on :data:`app` when imported. ``main()`` imports only the module
of the command being run: `apply` is timed against `psql -f`, and importing tree-sitter, lark and sqlglot
for it would be pure start-up overhead. ``--version`` imports neither typer nor any command module; the root
``--help`` and shell completion list :data:`COMMANDS` (names and help texts kept here) without importing a
command module either: the root group (``cli/app.py``) loads a command's module only when it is resolved.

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

COMMANDS: dict[str, tuple[str, str]] = {
    # name: (module under bhq_migrate/cli/, the first paragraph of its help). The root --help, `bhq-migrate`
    # alone and shell completion list the commands from here without importing any command module;
    # tests/test_startup.py checks that each text is the command's own.
    "apply": ("migrate", "Apply the pending plans, each in its own transaction (or, with --online, as short "
                         "resumable steps), recorded in bhq_migrate.history."),
    "status": ("migrate", "Show every plan as applied, pending, changed (edited since applied) or optional. "
                          "Never writes."),
    "demo": ("demo", "Run status, apply and verify on a throwaway PostgreSQL loaded with the pre-fix schema. "
                     "Needs no server."),
    "lint": ("lint", "Lint PostgreSQL migration files: syntax, locks, rewrites and design rules; no database needed."),
    "plan": ("lint", "Show what `apply` would do, without writing anything: per statement the lock, the table's "
                     "size, rewrite/scan time estimates, lint findings; and apply's pre-flight results."),
    "export-prisma": ("prisma", "Write each plan as a Prisma migration folder DIR/<timestamp>_<name>/migration.sql."),
    "audit-prisma": ("prisma", "Compare schema.prisma with the live catalog and name every difference."),
    "scan-queries": ("scan", "Find Prisma queries that return soft-deleted rows, hard-delete, or skip the tenant "
                             "filter."),
    "verify": ("verify", "Check that the live database is in the state the applied plans promise, plus built-in "
                         "audits."),
}
COMMAND_MODULES: dict[str, str] = {name: module for name, (module, _) in COMMANDS.items()}


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
        if sys.argv[1:] == ["--version"]:  # the one answer that needs neither typer nor rich
            sys.exit(print_version())
        command = next((arg for arg in sys.argv[1:] if not arg.startswith("-")), None)
        module = COMMAND_MODULES.get(command or "")
        # Only the module of the command being run; none for --help (the root group lists COMMANDS lazily).
        app = load_commands([module] if module else ())
        from bhq_migrate.cli.app import run_checked

        run_checked(app)  # a failed write to stdout is an error for every command, in one place
    except KeyboardInterrupt:  # during an import, before the app's own handler exists (or after it is done)
        sys.stderr.write("interrupted\n")
        sys.stderr.flush()
        sys.exit(INTERRUPTED)


def print_version() -> int:
    """``bhq-migrate --version`` without typer or rich, with the same stdout failure handling as every command
    (``cli.app.run_checked``): closed or failing stdout is one ``error:`` line and 2, a broken pipe a quiet 141."""
    import os

    from bhq_migrate import __version__

    def refuse(reason: str) -> int:
        sys.stderr.write(f"error: cannot write to standard output: {reason}\n")
        return 2

    if sys.stdout is None:
        return refuse("it is closed")
    try:
        sys.stdout.write(f"bhq-migrate {__version__}\n")
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second failure at exit
        return 141
    except (OSError, ValueError) as error:
        return refuse(error.strerror if isinstance(error, OSError) and error.strerror else str(error))
    return 0


def __getattr__(name: str) -> Any:
    if name == "app":  # imported on first use, not with the package (see the module docstring)
        from bhq_migrate.cli.app import app

        return app
    raise AttributeError(name)


__all__ = ["COMMANDS", "COMMAND_MODULES", "app", "full_app", "load_commands", "main"]
