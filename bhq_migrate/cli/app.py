"""The typer application and the one place that turns library errors into exit codes."""

from __future__ import annotations

import contextlib
import importlib
import math
import os
import re
import sys
from collections.abc import Callable, Sequence
from difflib import get_close_matches
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TextIO, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperCommand, TyperGroup

from bhq_migrate.cli import INTERRUPTED
from bhq_migrate.cli.conventions import ConventionGroup
from bhq_migrate.errors import BhqError
from bhq_migrate.exitcodes import ExitCode

if TYPE_CHECKING:
    from bhq_migrate.connection import SessionLimits

# typer >= 0.20 vendors click, older typer uses click itself: find its base exception the same way for both.
_ClickException: type[Exception] = next(
    base for base in typer.BadParameter.__mro__ if base.__name__ == "ClickException"
)
_EXTRA_ARGUMENTS = re.compile(r"Got unexpected extra arguments?(?:\(s\))? \((?P<words>.*)\)", re.S)


class OneLineErrorGroup(TyperGroup):
    """The root command group: a usage error is ONE ``error:`` line naming the option (exit 2), not click's
    5-6 line box, and Ctrl-C anywhere prints ``interrupted`` and exits 130 instead of a traceback."""

    def main(  # type: ignore[override]
        self, args: Sequence[str] | None = None, prog_name: str | None = None, complete_var: str | None = None,
        standalone_mode: bool = True, **extra: Any,
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        for word in argv:  # a URL given in the wrong place must not be echoed by click's "extra argument" text
            if "://" in word or "password" in word.lower():
                from bhq_migrate.connection import register_secrets  # imports psycopg: only when needed

                register_secrets(word)
        try:
            code = super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
        except _ClickException as exc:
            code = _usage_error(exc)
        except typer.Abort:
            code = _print_interrupted()
        code = code if isinstance(code, int) else 0
        if not standalone_mode:
            return code
        sys.exit(code)

    # -- lazy commands: listed from bhq_migrate.cli.COMMANDS, imported only when one is resolved ----------------

    _listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        from bhq_migrate.cli import COMMANDS

        return list(COMMANDS) + [name for name in self.commands if name not in COMMANDS]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        found = self.commands.get(cmd_name)
        if found is not None:
            return found
        from bhq_migrate.cli import COMMANDS

        if cmd_name not in COMMANDS:
            return None
        module, help_text = COMMANDS[cmd_name]
        if self._listing:  # help and completion only need the name and the first paragraph of its help
            return TyperCommand(name=cmd_name, help=help_text, callback=None)
        importlib.import_module(f"bhq_migrate.cli.{module}")
        self.commands.update(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
        return self.commands.get(cmd_name)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        try:
            return super().resolve_command(ctx, args)
        except _ClickException as exc:  # typer suggests from the loaded commands only: suggest from all
            message = str(getattr(exc, "message", ""))
            matches = get_close_matches(args[0], self.list_commands(ctx)) if args else []
            if message.startswith("No such command") and "Did you mean" not in message and matches:
                exc.message = f"{message.rstrip('.')}. Did you mean {', '.join(repr(m) for m in matches)}?"  # type: ignore[attr-defined]
            raise

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def shell_complete(self, ctx: Any, incomplete: str) -> Any:
        self._listing = True  # completing a command name; a named command's options resolve it for real
        try:
            return super().shell_complete(ctx, incomplete)
        finally:
            self._listing = False

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().make_context(*args, **kwargs)
        except KeyboardInterrupt:
            raise typer.Exit(_print_interrupted()) from None

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as exc:
            raise typer.Exit(_print_interrupted(exc)) from None


def _usage_error(exc: Exception) -> int:
    code = int(getattr(exc, "exit_code", ExitCode.CANNOT_RUN))
    if type(exc).__name__ == "NoArgsIsHelpError":  # `bhq-migrate` alone: the help is already printed
        return code
    message = exc.format_message()  # type: ignore[attr-defined]
    message = _EXTRA_ARGUMENTS.sub(r"extra argument(s) not accepted: \g<words>", message)
    from bhq_migrate.cli.output import emit_json_error
    from bhq_migrate.connection import redact

    line = redact(" ".join(message.split()))
    if not emit_json_error("UsageError", line):  # `... --format json` with a bad option: still one JSON object
        stderr.print(f"[bold red]error:[/] {escape(line)}", highlight=False)
    return code


def _print_interrupted(exc: BaseException | None = None) -> int:
    """``interrupted``, plus the plans apply committed before the interrupt (they stay applied)."""
    applied = getattr(exc, "applied", ())
    tail = f"; already applied and recorded in this run: {', '.join(applied)}" if applied else ""
    stderr.print(f"interrupted{tail}", markup=False, highlight=False)
    return INTERRUPTED


class RootGroup(ConventionGroup, OneLineErrorGroup):
    """One-line usage errors, plus --quiet/--verbose/--color and conventional metavars on every command."""

    def main(self, args: Sequence[str] | None = None, *rest: Any, **extra: Any) -> Any:
        from bhq_migrate.cli.output import json_output_from_argv

        json_output_from_argv(list(sys.argv[1:] if args is None else args))  # before parsing: usage errors too
        return super().main(args, *rest, **extra)


app = typer.Typer(
    cls=RootGroup,
    name="bhq-migrate",
    help="Safe, verifiable PostgreSQL migrations for BreederHQ.\n\n"
    "Exit codes: 0 success, 1 ran but refused/failed (nothing changed), 2 could not run.",
    no_args_is_help=True,
    add_completion=True,
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


stdout = Console(highlight=False, soft_wrap=True)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)
for _console in (stdout, stderr):
    if not _console.is_terminal:  # piped or captured: don't wrap tables at 80 columns
        _console.width = 160

T = TypeVar("T")

DATABASE_URL_HELP = "PostgreSQL URL (default: $DATABASE_URL, then libpq's PG* variables)."

# Every command that connects takes these two, with the same names (see connection.SessionLimits).
LockTimeout = Annotated[str, typer.Option(
    "--lock-timeout", help="How long any statement may wait for a table lock before giving up and naming the "
    "blocker (PostgreSQL duration: 500ms, 3s, 1min; 0 = no limit).")]
StatementTimeout = Annotated[str, typer.Option(
    "--statement-timeout", help="Upper bound for any single statement (PostgreSQL duration; 0 = no limit).")]


def session_limits(lock_timeout: str, statement_timeout: str) -> SessionLimits:
    """The validated limits, or a one-line error naming the option."""
    from bhq_migrate.connection import SessionLimits  # imports psycopg: only for commands that connect

    return guarded(lambda: SessionLimits(lock_timeout, statement_timeout))


def finite(value: float | None) -> float | None:
    """Option callback: NaN and infinity pass click's range checks, so reject them here (naming the option)."""
    if value is not None and not math.isfinite(value):
        raise typer.BadParameter(f"{value} is not a finite number")
    return value


def output_file(value: Path | None) -> Path | None:
    """Option callback for a file the command writes: its folder must already exist (nothing is created, so
    a typo cannot scatter folders), and the check runs before any work, naming the option on failure."""
    if value is None:
        return None
    _existing_folder(value.parent)
    if value.is_dir():
        raise typer.BadParameter(f"{value} is a folder, not a file")
    return value


def output_folder(value: Path) -> Path:
    """Argument callback for a folder the command writes into: it may be created, its parent may not."""
    if value.exists():
        _existing_folder(value)
    else:
        _existing_folder(value.parent)
    return value


def _existing_folder(folder: Path) -> None:
    if not folder.exists():
        raise typer.BadParameter(f"folder {folder} does not exist")
    if not folder.is_dir():
        raise typer.BadParameter(f"{folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise typer.BadParameter(f"folder {folder} is not writable")


def error_line(message: str, url: str | None = None) -> None:
    """The one-line ``error: ...`` on stderr, the password redacted and the text escaped for rich."""
    from bhq_migrate.connection import redact

    line = redact(" ".join(message.split()), url)
    stderr.print(f"[bold red]error:[/] {escape(line)}", markup=True, highlight=False)


def fail(message: str, code: ExitCode = ExitCode.CANNOT_RUN, url: str | None = None,
         kind: str = "UsageError") -> NoReturn:
    """Print one red line to stderr (in JSON mode also the error envelope on stdout) and exit: the only way
    commands report errors."""
    from bhq_migrate.cli import output

    if output.json_mode():
        from bhq_migrate.connection import redact

        output.emit_json_error(kind, redact(" ".join(message.split()), url))
    error_line(message, url)
    raise typer.Exit(int(code))


class StdoutFailed(BaseException):  # like KeyboardInterrupt: not caught by `except Exception`
    """Writing to standard output failed. Raised by :class:`CheckedStdout`, handled once in :func:`run_checked`.

    A BaseException, so library code that catches ``Exception`` (and ``guarded``) lets it through: a
    report that could not be written must end the command, whatever it was doing.
    """

    def __init__(self, error: OSError | ValueError) -> None:
        super().__init__(str(error))
        self.broken_pipe = isinstance(error, BrokenPipeError)
        self.reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)


class CheckedStdout:
    """Stands in for ``sys.stdout``: a failed write or flush raises :class:`StdoutFailed`, every other
    attribute is the real stream's (rich, click and ``print`` all write through it)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except (OSError, ValueError) as error:  # ValueError: "I/O operation on closed file"
            raise StdoutFailed(error) from None

    def writelines(self, lines: list[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except (OSError, ValueError) as error:
            raise StdoutFailed(error) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def run_checked(run: Callable[[], object]) -> None:
    """Run the CLI so that any failure to write stdout is an error, for every command (and --help).

    A closed stdout (``bhq-migrate status >&-``) is refused before anything runs: `apply` must not change a
    database and then lose its report. A write error (``> /dev/full``) prints one line and exits 2. A broken
    pipe (``| head``) exits 141 without a word, the convention of command-line tools.
    """
    if sys.stdout is None:  # Python found no file descriptor 1 at start-up
        error_line("cannot write to standard output: it is closed")
        sys.exit(int(ExitCode.CANNOT_RUN))
    real = sys.stdout
    sys.stdout = CheckedStdout(real)
    try:
        try:
            run()
        finally:
            sys.stdout.flush()  # inside the try: the last buffered write can fail too
    except StdoutFailed as failed:
        sys.stdout = real
        with contextlib.suppress(OSError, ValueError):  # what is still buffered goes nowhere, quietly
            os.dup2(os.open(os.devnull, os.O_WRONLY), real.fileno())
        if failed.broken_pipe:
            sys.exit(int(ExitCode.BROKEN_PIPE))
        error_line(f"cannot write to standard output: {failed.reason}")
        sys.exit(int(ExitCode.CANNOT_RUN))
    finally:
        sys.stdout = real


def guarded(action: Callable[[], T], url: str | None = None) -> T:
    """Run ``action``; any BhqError (or any other exception) becomes a one-line error and exit code."""
    try:
        return action()
    except BhqError as exc:
        fail(str(exc), exc.exit_code, url, kind=type(exc).__name__)
    except KeyboardInterrupt as exc:
        raise typer.Exit(_print_interrupted(exc)) from None
    except typer.Exit:
        raise
    except OSError as exc:  # a file or folder we could not read or write: name it
        where = f"{exc.filename}: " if exc.filename else ""
        fail(f"{where}{exc.strerror or exc}", ExitCode.CANNOT_RUN, url, kind="OSError")
    except Exception as exc:  # a last resort for bugs: never show a traceback (or a password) to the user
        if getattr(exc, "sqlstate", None) == "42501":  # psycopg's InsufficientPrivilege, from any command's reads
            from bhq_migrate.connection import permission_denied

            denied = permission_denied(exc, url)
            if denied is not None:
                fail(str(denied), denied.exit_code, url, kind="PermissionDenied")
        from pydantic import ValidationError  # here, not at the top: --version and --help never need pydantic

        if isinstance(exc, ValidationError):  # an option the CLI passed on unchecked: name it
            error = exc.errors()[0]
            option = "--" + str(error["loc"][0]).replace("_", "-") if error["loc"] else "an option"
            fail(f"invalid value for {option}: {error['msg']}", ExitCode.CANNOT_RUN, url)
        if os.environ.get("BHQ_MIGRATE_DEBUG"):
            raise
        kind = type(exc).__name__
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        fail(f"internal error ({kind}: {first}); please report it (BHQ_MIGRATE_DEBUG=1 shows the traceback)",
             ExitCode.CANNOT_RUN, url, kind="InternalError")
