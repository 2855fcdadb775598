"""A content-keyed cache of what the scan keeps from a schema (models, tables, fields, columns, relations).

Parsing a large multi-file schema with the lark grammar costs a sizeable share of a whole scan (dubinc/dub's
37 files: about as much as walking its 4,000-file tree), and the schema rarely changes between two scans.

Why an entry can never be stale: its key is a SHA-256 of every schema file's path and bytes, and of the code
that turns them into models (the grammar, the parser, the scan's extraction, lark's version). An edited, added
or removed schema file, or another version of the tool, gives another key, so an old entry is simply never
looked up again. A schema that does not parse is never cached: its error is reported on every run.

Entries are JSON, never pickle (a cache folder holds data, not code), written atomically (a temporary file
renamed), and checked on reading: an entry that is unreadable, malformed or filed under another key is a miss.
The folder is ``$BHQ_MIGRATE_CACHE_DIR``, else ``$XDG_CACHE_HOME/bhq-migrate``, else ``~/.cache/bhq-migrate``;
``BHQ_MIGRATE_CACHE_DIR=off`` turns the cache off. A folder that another user owns or can write to is not
used. At most :data:`MAX_ENTRIES` entries are kept (the oldest go first). The cache only ever saves time: when
it cannot be read or written the schema is parsed, as without it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import lark

CACHE_DIR_VARIABLE = "BHQ_MIGRATE_CACHE_DIR"
DISABLED = "off"
MAX_ENTRIES = 64
_FORMAT = 2  # 2: fields carry `unique` (@id/@unique)
_FOLDER = "schemas"

# The code whose output is cached: a change to any of them changes every key.
_CODE_FILES = (
    ("bhq_migrate.prisma_schema", "parser.py"),
    ("bhq_migrate.prisma_schema", "prisma.lark"),
    ("bhq_migrate.scan", "models.py"),
    ("bhq_migrate.scan", "schema_cache.py"),
)


def cache_folder() -> Path | None:
    """Where entries live, or ``None`` when the cache is off."""
    configured = os.environ.get(CACHE_DIR_VARIABLE)
    if configured is not None:
        return None if configured.strip().lower() in (DISABLED, "") else Path(configured) / _FOLDER
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if os.path.isabs(xdg):  # the XDG spec: a relative value is ignored
        return Path(xdg) / "bhq-migrate" / _FOLDER
    try:
        return Path.home() / ".cache" / "bhq-migrate" / _FOLDER
    except (RuntimeError, KeyError, OSError):  # no home folder: no cache
        return None


@cache
def _code_digest() -> bytes:
    from importlib import resources

    digest = hashlib.sha256(f"format {_FORMAT} lark {lark.__version__}".encode())
    for package, name in _CODE_FILES:
        digest.update(resources.files(package).joinpath(name).read_bytes())
    return digest.digest()


def cache_key(files: Sequence[Path]) -> str | None:
    """The key of a schema made of ``files`` (in this order), ``None`` when a file cannot be read."""
    try:
        digest = hashlib.sha256(_code_digest())
        for path in files:
            content = path.read_bytes()
            for part in (os.fsencode(path), len(content).to_bytes(8, "big"), content):
                digest.update(part)
    except OSError:
        return None
    return digest.hexdigest()


def _usable(folder: Path) -> bool:
    """Ours alone: owned by this user and writable by nobody else (where the system knows users)."""
    try:
        status = folder.stat()
    except OSError:
        return False
    getuid = getattr(os, "getuid", None)
    return getuid is None or (status.st_uid == getuid() and not status.st_mode & 0o022)


def load(key: str) -> Any:
    """The data kept under ``key``, or ``None`` (no cache, no entry, or an entry that is not sound). The
    caller still checks the data's shape."""
    folder = cache_folder()
    if folder is None or not _usable(folder):
        return None
    entry_path = folder / f"{key}.json"
    try:
        entry = json.loads(entry_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(entry, dict) or entry.get("key") != key:
        return None
    with contextlib.suppress(OSError):
        os.utime(entry_path)  # recently used: pruned last
    return entry.get("data")


def store(key: str, data: Any) -> None:
    """Keep ``data`` (JSON-able) under ``key``; any failure only means the next scan parses the schema again."""
    folder = cache_folder()
    if folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not _usable(folder):
            return
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".entry-", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump({"key": key, "data": data}, out, separators=(",", ":"))
            os.replace(temporary, folder / f"{key}.json")
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        _prune(folder)
    except OSError:
        return


def _prune(folder: Path) -> None:
    entries = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime)
    for old in entries[:-MAX_ENTRIES]:
        old.unlink(missing_ok=True)
