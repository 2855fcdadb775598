"""Output helpers shared by the commands: report files written next to the main output."""

from __future__ import annotations

from pathlib import Path

from bhq_migrate.cli.app import fail


def write_report_file(path: Path, text: str) -> None:
    """Write a report (JUnit XML...) next to the main output; an unwritable path is a one-line error."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror}")
