"""Conventions every command shares, applied in one place when typer builds the click group.

- ``--quiet``, ``--verbose`` and ``--color auto|always|never`` are added to every command (after its own
  options), so a new command gets them for free and command modules stay untouched;
- options not given on the command line come from the configuration (``bhq_migrate.config``);
- help shows conventional metavars (``TEXT``, ``PATH``, ``INTEGER``, ``[a|b]``, nothing for a flag) instead of
  typer's Python type names (``<bool>``, ``<list[str]>``).
"""

from __future__ import annotations

import logging
import os
import sys
import time
from enum import Enum
from pathlib import Path
from typing import Any, get_args

import typer
from typer.core import TyperGroup

CONVENTION_PARAMS = ("quiet", "verbose", "color")
CONFIGURED_COMMANDS = ("apply", "status", "plan", "verify", "lint")
"""Commands with a section in bhq-migrate.toml (the scan's [scan] section is read by the scan itself)."""
log = logging.getLogger("bhq_migrate")


_TYPE_NAMES: dict[Any, str] = {str: "TEXT", int: "INTEGER", float: "FLOAT", bool: "BOOLEAN"}


def _metavar(param: Any) -> str | None:
    """Click's conventional metavar for ``param`` (typer 0.29 prints ``<bool>``, ``<list[str]>``); None keeps an
    explicit one."""
    if param.metavar is not None:
        return None
    if getattr(param, "is_flag", False) or getattr(param, "count", False):
        return ""
    desc = param.type_descriptor
    if desc.is_choice:
        return "[" + "|".join(str(getattr(choice, "value", choice)) for choice in desc.choices) + "]"
    if desc.is_path:
        return "PATH"
    annotation = get_args(desc.annotation)[0] if desc.is_list else desc.annotation
    name: str = _TYPE_NAMES.get(annotation, "PATH" if annotation is Path else "TEXT")
    return name


class ColorMode(str, Enum):
    auto = "auto"
    always = "always"
    never = "never"


def _shared(
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only errors and machine-readable output; the "
                               "exit code tells the result."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Debug logging on stderr: SQL sent, timings, "
                                 "config file used."),
    color: ColorMode = typer.Option(ColorMode.auto, "--color", help="Colour: auto (a terminal, honouring NO_COLOR "
                                    "and FORCE_COLOR), always or never."),
) -> None:
    """Declares the shared options; typer turns it into a command whose params every command receives."""


def _convention_options() -> list[Any]:
    holder = typer.Typer(add_completion=False)
    holder.command()(_shared)
    params: list[Any] = typer.main.get_command(holder).params
    return params


def configure_output(*, quiet: bool, verbose: bool, color: str) -> None:
    """Apply the shared options to the consoles and the logging system."""
    from bhq_migrate.cli.app import stderr, stdout

    if color == "auto" and os.environ.get("NO_COLOR"):
        color = "never"  # no-color.org: no ANSI styling at all; NO_COLOR wins over FORCE_COLOR
    for console in (stdout, stderr):
        if color == "never":
            console.no_color = True
            console._color_system = None  # no ANSI at all, not even bold (rich keeps styles under no_color)
        elif color == "always":
            console.no_color = False
            console._force_terminal = True  # rich has no public setter; the constructor sets the same field
            console._color_system = console._detect_color_system()
    stdout.quiet = quiet
    root = logging.getLogger("bhq_migrate")
    for handler in list(root.handlers):
        if getattr(handler, "bhq_verbose", False):
            root.removeHandler(handler)
    if verbose:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("debug: %(name)s: %(message)s"))
        handler.bhq_verbose = True  # type: ignore[attr-defined]
        root.addHandler(handler)
        root.setLevel(logging.DEBUG)
    else:
        root.setLevel(logging.WARNING)


def _may_be_configured() -> bool:
    """A cheap look for any configuration: a BHQ_MIGRATE_* variable, or a config file above the working
    directory (the same places :func:`bhq_migrate.config.find_config_file` looks)."""
    if any(name.upper().startswith("BHQ_MIGRATE_") for name in os.environ):
        return True
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / "bhq-migrate.toml").is_file():
            return True
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and _has_tool_table(pyproject.read_text(encoding="utf-8", errors="replace")):
            return True
    return False


def _has_tool_table(pyproject: str) -> bool:
    """Does this pyproject.toml have a ``[tool.bhq-migrate]`` table? A project that merely depends on
    bhq-migrate (or is bhq-migrate) names it too, and must not pay for pydantic-settings on every run."""
    if "bhq-migrate" not in pyproject:
        return False
    from bhq_migrate.compat import tomllib

    try:
        tool = tomllib.loads(pyproject).get("tool", {})
    except tomllib.TOMLDecodeError:
        return True  # the configuration loader names the file and the error
    return isinstance(tool, dict) and "bhq-migrate" in tool


def apply_settings(section: str, ctx: Any) -> None:
    """Fill every option the user did not give on the command line from the configuration (environment, then
    file): flag > environment > file > default. Errors are one line naming the file (or variable) and key."""
    if not _may_be_configured():
        return  # nothing to read: don't pay for importing pydantic-settings (apply is timed against psql)
    from bhq_migrate.cli.app import fail
    from bhq_migrate.config import configured, load_section
    from bhq_migrate.errors import ConfigError

    try:
        settings, _ = load_section(section)
    except ConfigError as exc:
        fail(str(exc), kind="ConfigError")
    for name, value in configured(settings).items():
        source = ctx.get_parameter_source(name)
        if name in ctx.params and (source is None or source.name in ("DEFAULT", "DEFAULT_MAP")):
            ctx.params[name] = value


def _wrap_invoke(command: Any) -> None:
    invoke = command.invoke
    name = command.name or ""

    def run(ctx: Any) -> Any:
        quiet, verbose, color = (ctx.params.pop(key) for key in CONVENTION_PARAMS)
        configure_output(quiet=quiet, verbose=verbose, color=ColorMode(color).value)
        if name in CONFIGURED_COMMANDS:
            apply_settings(name, ctx)
        started = time.perf_counter()
        try:
            return invoke(ctx)
        finally:
            log.debug("%s finished in %.3f s", name, time.perf_counter() - started)

    command.invoke = run


def _conventional_metavars(command: Any) -> None:
    for param in command.params:
        metavar = _metavar(param)
        if metavar is None:
            continue
        if getattr(param, "param_type_name", "") == "argument":
            shown = metavar + ("..." if param.nargs != 1 else "")
            param.display_type_rich = lambda ctx, shown=shown: shown  # keep the argument's name, show its type
        else:
            param.metavar = metavar
    make_help_option = command.get_help_option

    def help_option(ctx: Any) -> Any:
        option = make_help_option(ctx)
        if option is not None:
            option.metavar = ""
        return option

    command.get_help_option = help_option


def apply_conventions(command: Any) -> None:
    """Give ``command`` the shared options and conventional metavars (idempotent)."""
    if any(param.name == "verbose" for param in command.params) or command.callback is None:
        return
    command.params.extend(_convention_options())
    _conventional_metavars(command)
    _wrap_invoke(command)


class ConventionGroup(TyperGroup):
    """The root group: every command it holds gets the shared conventions."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for command in self.commands.values():
            apply_conventions(command)

    def get_params(self, ctx: Any) -> list[Any]:
        # typer appends --install-completion/--show-completion after building the group: convert them here
        params: list[Any] = super().get_params(ctx)
        for param in params:
            if getattr(param, "is_flag", False):
                param.metavar = ""
        return params
