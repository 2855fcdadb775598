"""Where the shipped plans and checks live: the installed wheel's ``_data/`` or the source checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def _shipped(name: str) -> Path:
    installed = _PACKAGE_DIR / "_data" / name
    if installed.is_dir():
        return installed
    return _PACKAGE_DIR.parent / name  # editable install or source checkout


def default_plans_dir() -> Path:
    return _shipped("sql")


def default_checks_dir() -> Path:
    return _shipped("checks")
