"""No document, comment or test points outside the repository: a reader of a fresh clone can follow every link.

Checked in every text file of the repository:
- Markdown links ``[text](target)`` to files resolve to an existing path inside the repository;
- relative paths that climb out (two dots and a slash) stay inside the repository;
- no absolute path into a home folder or the workplace this was written in;
- every Markdown document named (by file name) exists in the repository. The shipped plans in ``sql/`` are
  the one exception: their text is checksummed in each database they were applied to, so their comments
  cannot change.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.helpers import REPO_ROOT

SKIPPED_DIRS = {".git", ".venv", "build", "dist", "node_modules", "__pycache__", ".mypy_cache", ".ruff_cache",
                ".pytest_cache"}
TEXT_SUFFIXES = {".md", ".py", ".sql", ".toml", ".sh", ".ts", ".tsx", ".js", ".prisma", ".txt", ".cfg", ".yml",
                 ".yaml", ".json", ".lark"}
CHECKSUMMED = REPO_ROOT / "sql"

_MARKDOWN_LINK = re.compile(r"\]\(([^)\s]+)\)")
_RELATIVE_UP = re.compile(r"(?<![\w./$])((?:\.\./)+[\w.\-/]*)")  # a path's start, not $ORIGIN/../
_WORKPLACE = re.compile(r"(?<![\w.])(/(?:work|root|home)/[\w.\-/]*)")
_DOCUMENT = re.compile(r"(?<![\w\-/.])([\w\-]+\.md)\b")


def _text_files() -> list[Path]:
    files = []
    for directory, subdirs, names in os.walk(REPO_ROOT):
        subdirs[:] = sorted(d for d in subdirs
                            if d not in SKIPPED_DIRS and not d.startswith(".venv") and not d.endswith(".egg-info"))
        for name in sorted(names):
            path = Path(directory) / name
            if path.suffix in TEXT_SUFFIXES or path.parent.name in {"scripts", ".ci"}:
                files.append(path)
    return files


def _inside(target: Path) -> bool:
    try:
        target.resolve().relative_to(REPO_ROOT.resolve())
    except ValueError:
        return False
    return True


def problems(path: Path, text: str, documents: set[str]) -> list[str]:
    """Every reference in ``text`` (the content of ``path``) that leaves the repository, one line each."""
    found: list[str] = []
    if path.suffix == ".md":
        for target in _MARKDOWN_LINK.findall(text):
            if re.match(r"^[a-z]+:", target) or target.startswith("#"):
                continue  # a URL, mailto:, or an anchor in the same page
            resolved = path.parent / target.split("#", 1)[0]
            if not _inside(resolved) or not resolved.exists():
                found.append(f"link {target} does not resolve inside the repository")
    for target in _RELATIVE_UP.findall(text):
        if not _inside(path.parent / target):
            found.append(f"path {target} leaves the repository")
    found.extend(f"absolute path {target} is outside the repository" for target in _WORKPLACE.findall(text))
    if not path.resolve().is_relative_to(CHECKSUMMED.resolve()):
        found.extend(f"{name} is not in the repository" for name in _DOCUMENT.findall(text) if name not in documents)
    return found


FILES = _text_files()
DOCUMENTS = {path.name for path in FILES if path.suffix == ".md"}


@pytest.mark.parametrize("path", FILES, ids=[str(path.relative_to(REPO_ROOT)) for path in FILES])
def test_no_reference_leaves_the_repository(path: Path) -> None:
    assert problems(path, path.read_text(encoding="utf-8", errors="replace"), DOCUMENTS) == []


def test_the_checker_finds_each_kind_of_outside_reference() -> None:
    up, outside, audit = "..", "/wo" + "rk/venv/bin/python", "SEED_AUDIT" + ".md"  # split: this file passes too
    text = (
        f"see `{up}/shared/{audit}`, [audit]({up}/shared/{audit}), [gone](docs/nosuch.md), as in {audit}, "
        f"run {outside}; [ok](docs/seed-audit.md), [web](https://example.org/x.md), [a](#exit-codes)"
    )
    assert problems(REPO_ROOT / "README.md", text, DOCUMENTS) == [
        f"link {up}/shared/{audit} does not resolve inside the repository",
        "link docs/nosuch.md does not resolve inside the repository",
        f"path {up}/shared/{audit} leaves the repository",
        f"path {up}/shared/{audit} leaves the repository",
        f"absolute path {outside} is outside the repository",
        f"{audit} is not in the repository",
    ]
    assert problems(REPO_ROOT / "sql" / "001_x.sql", f"-- see {audit}", DOCUMENTS) == []  # checksummed plans
    assert problems(REPO_ROOT / "docs" / "lint.md", f"[plans]({up}/sql/) and {up}/README.md", DOCUMENTS) == []
