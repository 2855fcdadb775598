"""The typer application and the one place that turns library errors into exit codes."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import NoReturn, TypeVar

import typer
from rich.console import Console

from bhq_migrate.cli.conventions import ConventionGroup
from bhq_migrate.connection import redact
from bhq_migrate.errors import BhqError
from bhq_migrate.exitcodes import ExitCode

app = typer.Typer(
    name="bhq-migrate",
    help="Safe, verifiable PostgreSQL migrations for BreederHQ.\n\n"
    "Exit codes: 0 success, 1 ran but refused/failed (nothing changed), 2 could not run.",
    no_args_is_help=True,
    add_completion=True,
    cls=ConventionGroup,  # --quiet/--verbose/--color and conventional metavars on every command
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)

def _print_version(value: bool) -> None:
    if value:
        from bhq_migrate import __version__

        stdout.print(f"bhq-migrate {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", help="Show the version and exit.", callback=_print_version,
                                 is_eager=True),
) -> None:
    """Safe, verifiable PostgreSQL migrations for BreederHQ.

    Exit codes: 0 success, 1 ran but refused/failed (nothing changed), 2 could not run.
    """
    # A callback keeps the app a command group even when main() has loaded a single command's module.
    from bhq_migrate.cli.output import json_output

    json_output("", False)  # each command declares its own output mode (tests run many in one process)


stdout = Console(highlight=False, soft_wrap=True)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)
for _console in (stdout, stderr):
    if not _console.is_terminal:  # piped or captured: don't wrap tables at 80 columns
        _console.width = 160

T = TypeVar("T")

DATABASE_URL_HELP = "PostgreSQL URL (default: $DATABASE_URL, then libpq's PG* variables)."


def fail(message: str, code: ExitCode = ExitCode.CANNOT_RUN, url: str | None = None,
         kind: str = "UsageError") -> NoReturn:
    """Print one red line to stderr (in JSON mode: the error envelope on stdout) and exit: the only way commands
    report errors."""
    line = redact(" ".join(message.split()), url)
    from bhq_migrate.cli import output

    output.print_json_error(kind, line, code)
    stderr.print(f"[bold red]error:[/] {line}", markup=True, highlight=False)
    raise typer.Exit(int(code))


def guarded(action: Callable[[], T], url: str | None = None) -> T:
    """Run ``action``; any BhqError (or unexpected driver error) becomes a one-line error and exit code."""
    try:
        return action()
    except BhqError as exc:
        fail(str(exc), exc.exit_code, url, kind=type(exc).__name__)
    except KeyboardInterrupt:
        stderr.print("interrupted")
        raise typer.Exit(130) from None
    except typer.Exit:
        raise
    except Exception as exc:  # a last resort: never show a traceback (or a password) to the user
        if "--debug" in sys.argv:
            raise
        kind = type(exc).__name__
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        fail(f"unexpected {kind}: {first}", ExitCode.CANNOT_RUN, url, kind="InternalError")
