"""Output helpers shared by the commands: the JSON envelope (and JSON errors), report files.

A command that prints JSON calls :func:`json_output` first (the root group guesses it from the raw arguments
even earlier, for usage errors); from then on :func:`~bhq_migrate.cli.app.fail` also prints the error envelope
(``ok: false``, ``error: {kind, message}``) on stdout, with the same exit code, so a CI job always gets one
parseable object.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import typer

_json_command: str | None = None


def json_mode() -> bool:
    return _json_command is not None


def json_output_from_argv(argv: list[str]) -> None:
    """Set the mode from the raw arguments, before click parses them, so that a usage error of
    ``cmd ... --format json`` is JSON too; the command confirms (or clears) it with :func:`json_output`."""
    command = next((word for word in argv if not word.startswith("-")), "")
    wants_json = any(
        (word in ("--format", "-f") and index + 1 < len(argv) and argv[index + 1] == "json")
        or word in ("--format=json", "-fjson")
        for index, word in enumerate(argv)
    )
    from bhq_migrate.cli import COMMANDS

    json_output(command, wants_json and command in COMMANDS)


def emit_json_error(kind: str, message: str, **payload: Any) -> bool:
    """Print the error envelope when in JSON mode; True when it did (for callers that return an exit code)."""
    if _json_command is None:
        return False
    from bhq_migrate.report.envelope import dumps, error_envelope

    typer.echo(dumps(error_envelope(_json_command, kind, message, **payload)))
    return True


def json_output(command: str, enabled: bool) -> None:
    """Declare whether ``command`` prints JSON (so its errors are JSON too)."""
    global _json_command
    _json_command = command if enabled else None


def print_json(body: Mapping[str, Any]) -> None:
    from bhq_migrate.report.envelope import dumps

    typer.echo(dumps(body))


def print_json_array(rows: list[dict[str, Any]]) -> None:
    """A format whose consumer defines a bare array (GitLab Code Quality)."""
    typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))


def write_report_file(path: Path, text: str) -> None:
    """Write a report (JUnit XML...) next to the main output; an unwritable path is a one-line error. The folder
    is not created (the option's ``output_file`` callback has checked it exists)."""
    from bhq_migrate.cli.app import fail

    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror}", kind="OutputError")
