"""Scan settings: defaults, then the scanned project's config file, then command-line options.

A project can keep its settings in ``[tool.bhq-migrate.scan]`` of its ``pyproject.toml`` or in a
``bhq-migrate.toml`` (top-level keys, or a ``[scan]`` table). Keys use the option names with dashes or
underscores: ``soft-delete-fields``, ``tenant-fields``, ``clients``, ``scoping-helpers``, ``unscoped-helpers``,
``exclude``, ``schemas``, ``fail-on``, ``disable``, ``default-soft-delete-models``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bhq_migrate.compat import tomllib
from bhq_migrate.config import scan_environment
from bhq_migrate.errors import ConfigError
from bhq_migrate.findings import Severity

# The seed plan (Step 6) names these as the models to soft-delete when no schema tells us better.
DEFAULT_SOFT_DELETE_MODELS: tuple[str, ...] = ("Invoice", "Contact", "Animal")

# How real code reaches the Prisma client. Dotted entries match a member chain (``this.prisma``).
DEFAULT_CLIENTS: tuple[str, ...] = (
    "prisma",
    "db",
    "this.prisma",
    "this.prismaService",
    "this.db",
    "ctx.prisma",
    "ctx.db",
    "prisma.client",
)

# ``activeOnly`` is the seed plan's helper (Step 6): it returns ``{ ...where, deletedAt: null }``.
DEFAULT_SCOPING_HELPERS: tuple[str, ...] = ("activeOnly",)

CONFIG_FILE_NAME = "bhq-migrate.toml"
log = logging.getLogger("bhq_migrate.config")


@dataclass(frozen=True)
class ScanConfig:
    """Everything a scan needs besides the paths. Immutable, so workers can share it safely."""

    soft_delete_fields: tuple[str, ...] = ("deletedAt",)
    tenant_fields: tuple[str, ...] = ("tenantId",)
    clients: tuple[str, ...] = DEFAULT_CLIENTS
    scoping_helpers: tuple[str, ...] = DEFAULT_SCOPING_HELPERS
    unscoped_helpers: tuple[str, ...] = ()
    """Helpers (or imported values) declared not to add the soft-delete filter: a where built by one is unscoped."""
    exclude: tuple[str, ...] = ()
    schemas: tuple[Path, ...] = ()
    default_soft_delete_models: tuple[str, ...] = DEFAULT_SOFT_DELETE_MODELS
    fail_on: Severity = Severity.ERROR
    disable: tuple[str, ...] = ()
    """Rules (id or name) not to report, e.g. ``unscoped-read`` where a client extension filters deleted rows."""
    max_file_bytes: int = 2_000_000
    jobs: int = 0
    """Worker processes; 0 means one per core."""
    discover_schemas: bool = True
    """Look for ``schema.prisma`` under the scanned paths when ``schemas`` is empty."""
    exclude_tests: bool = False
    """Skip test, spec, e2e, seed and fixture paths."""
    allow_default_models: bool = False
    """Accept a scan that found no schema or checked no query (the CLI exits 2 otherwise)."""

    def with_overrides(self, **changes: Any) -> ScanConfig:
        """A copy with the given fields replaced; ``None`` and empty tuples mean "keep"."""
        kept = {key: value for key, value in changes.items() if value not in (None, (), [])}
        return replace(self, **kept)


_LIST_KEYS = {
    "soft_delete_fields",
    "tenant_fields",
    "clients",
    "scoping_helpers",
    "unscoped_helpers",
    "exclude",
    "default_soft_delete_models",
    "disable",
}


def _settings_from_table(table: dict[str, Any], source: Path) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    for raw_key, value in table.items():
        key = raw_key.replace("-", "_")
        if key in _LIST_KEYS:
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
                raise ConfigError(f"{source}: '{raw_key}' must be a list of strings")
            settings[key] = tuple(value)
        elif key == "schemas":
            values = [value] if isinstance(value, str) else value
            if not isinstance(values, list) or not all(isinstance(item, str) for item in values):
                raise ConfigError(f"{source}: 'schemas' must be a list of paths")
            settings[key] = tuple((source.parent / item) for item in values)
        elif key == "fail_on":
            try:
                settings[key] = Severity(str(value).lower())
            except ValueError:
                raise ConfigError(f"{source}: 'fail-on' must be error, warning or info, not {value!r}") from None
        elif key in ("allow_default_models", "exclude_tests"):
            if not isinstance(value, bool):
                raise ConfigError(f"{source}: '{raw_key}' must be true or false")
            settings[key] = value
        elif key == "max_file_bytes":
            if not isinstance(value, int) or value <= 0:
                raise ConfigError(f"{source}: 'max-file-bytes' must be a positive integer")
            settings[key] = value
        else:
            raise ConfigError(f"{source}: unknown scan setting '{raw_key}'")
    return settings


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not valid UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def find_config_file(start: Path) -> Path | None:
    """The nearest ``bhq-migrate.toml``, or ``pyproject.toml`` with a scan table, at or above ``start``."""
    start = start.resolve()
    directory = start if start.is_dir() else start.parent
    for candidate_dir in (directory, *directory.parents):
        own = candidate_dir / CONFIG_FILE_NAME
        if own.is_file():
            return own
        pyproject = candidate_dir / "pyproject.toml"
        if pyproject.is_file() and "bhq-migrate" in pyproject.read_text(encoding="utf-8", errors="replace"):
            data = _read_toml(pyproject)
            if isinstance(data.get("tool", {}).get("bhq-migrate", {}).get("scan"), dict):
                return pyproject
    return None


def load_config_file(path: Path, base: ScanConfig | None = None) -> ScanConfig:
    """Apply the scan table of ``path`` (a ``pyproject.toml`` or ``bhq-migrate.toml``) over ``base``."""
    data = _read_toml(path)
    if path.name == "pyproject.toml":
        table = data.get("tool", {}).get("bhq-migrate", {}).get("scan", {})
    elif "scan" in data or any(isinstance(value, dict) for value in data.values()):
        table = data.get("scan", {})  # a file with a table per command: only [scan] is the scan's
    else:
        table = data  # a scan-only bhq-migrate.toml with top-level keys
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: the scan settings must be a table")
    return replace(base or ScanConfig(), **_settings_from_table(table, path))


def resolve_config(paths: list[Path], config_file: Path | None = None, **overrides: Any) -> ScanConfig:
    """The settings ``scan-queries`` and ``verify --source`` use: defaults, then ``config_file`` (or the nearest
    config above the first path), then ``overrides`` (``None``/empty keeps the file's value)."""
    if config_file is not None and not config_file.is_file():
        raise ConfigError(f"config file not found: {config_file}")
    config = ScanConfig()
    found = config_file or find_config_file(paths[0] if paths else Path.cwd())
    if found is not None:
        config = load_config_file(found, config)
    log.debug("scan settings: %s", f"config file {found}" if found is not None else "defaults (no config file found)")
    environment = scan_environment()  # BHQ_MIGRATE_SCAN_*: over the file, under the flags
    if "fail_on" in environment:
        try:
            environment["fail_on"] = Severity(environment["fail_on"].lower())
        except ValueError:
            raise ConfigError("environment variable BHQ_MIGRATE_SCAN_FAIL_ON: must be error, warning or info, "
                              f"not {environment['fail_on']!r}") from None
    if environment:
        values: dict[str, Any] = {key: tuple(value) if isinstance(value, list) else value
                                  for key, value in environment.items()}
        config = replace(config, **values)
    return config.with_overrides(**overrides)
