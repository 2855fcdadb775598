"""One configuration for every command: ``bhq-migrate.toml`` (or ``[tool.bhq-migrate]`` in ``pyproject.toml``),
found from the working directory upward, with a table per command, and ``BHQ_MIGRATE_<SECTION>_<KEY>``
environment variables. Precedence: command-line flag, then environment, then file, then the built-in default.

Each section is a pydantic-settings model; the file's table is passed as init values and the environment source
is placed before it, so the environment wins over the file. Unknown keys and bad values are a
:class:`~bhq_migrate.errors.ConfigError` naming the file (or variable) and the key. Keys may use dashes or
underscores. The ``[scan]`` section belongs to the scan (``bhq_migrate.scan.config``), which reads it from the same
file and takes ``BHQ_MIGRATE_SCAN_*`` variables through :class:`ScanEnv`.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, ClassVar

import tomllib
from pydantic import ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from bhq_migrate.errors import ConfigError

CONFIG_FILE_NAME = "bhq-migrate.toml"
ENV_PREFIX = "BHQ_MIGRATE_"
log = logging.getLogger("bhq_migrate.config")


class Section(BaseSettings):
    """Base of every section: unknown keys are errors, every field is optional (None: not configured)."""

    section: ClassVar[str] = ""
    paths: ClassVar[tuple[str, ...]] = ()
    """Fields holding paths: relative values in the file are relative to the file's folder."""
    options: ClassVar[dict[str, str]] = {}
    """Setting name -> the command's option (parameter) name, where they differ."""

    model_config = SettingsConfigDict(extra="forbid", frozen=True, env_nested_delimiter=None)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return env_settings, init_settings  # init values are the file's table: the environment wins


class ApplySettings(Section):
    section: ClassVar[str] = "apply"
    paths: ClassVar[tuple[str, ...]] = ("plans_dir",)
    model_config = SettingsConfigDict(env_prefix=f"{ENV_PREFIX}APPLY_")

    plans_dir: Path | None = None
    lock_timeout: str | None = None
    statement_timeout: str | None = None
    retries: int | None = None
    retry_backoff: float | None = None
    wait: float | None = None
    with_optional: bool | None = None
    record_prisma: bool | None = None
    online_batch_rows: int | None = None
    online_min_rows: int | None = None
    online_lock_timeout: str | None = None
    online_batch_ms: float | None = None
    online_batch_pause_ms: float | None = None
    online_maintenance_work_mem: str | None = None
    online_parallel_workers: int | None = None


class StatusSettings(Section):
    section: ClassVar[str] = "status"
    paths: ClassVar[tuple[str, ...]] = ("plans_dir",)
    model_config = SettingsConfigDict(env_prefix=f"{ENV_PREFIX}STATUS_")

    plans_dir: Path | None = None
    lock_timeout: str | None = None
    statement_timeout: str | None = None


class PlanSettings(Section):
    section: ClassVar[str] = "plan"
    paths: ClassVar[tuple[str, ...]] = ("plans_dir",)
    model_config = SettingsConfigDict(env_prefix=f"{ENV_PREFIX}PLAN_")

    plans_dir: Path | None = None
    with_optional: bool | None = None
    lock_timeout: str | None = None
    statement_timeout: str | None = None


class VerifySettings(Section):
    section: ClassVar[str] = "verify"
    paths: ClassVar[tuple[str, ...]] = ("plans_dir", "checks_dir")
    options: ClassVar[dict[str, str]] = {"money_patterns": "money_pattern",
                                         "soft_delete_columns": "soft_delete_column"}
    model_config = SettingsConfigDict(env_prefix=f"{ENV_PREFIX}VERIFY_")

    plans_dir: Path | None = None
    checks_dir: Path | None = None
    strict: bool | None = None
    lock_timeout: str | None = None
    statement_timeout: str | None = None
    money_patterns: list[str] | None = None
    soft_delete_columns: list[str] | None = None


class LintSettings(Section):
    section: ClassVar[str] = "lint"
    model_config = SettingsConfigDict(env_prefix=f"{ENV_PREFIX}LINT_")

    enable: list[str] | None = None
    disable: list[str] | None = None
    runner_sets_timeouts: bool | None = None


class ScanEnv(Section):
    """``BHQ_MIGRATE_SCAN_*``: the scan's settings from the environment (the file part is the scan's own)."""

    section: ClassVar[str] = "scan"
    model_config = SettingsConfigDict(env_prefix=f"{ENV_PREFIX}SCAN_")

    soft_delete_fields: list[str] | None = None
    tenant_fields: list[str] | None = None
    clients: list[str] | None = None
    scoping_helpers: list[str] | None = None
    unscoped_helpers: list[str] | None = None
    exclude: list[str] | None = None
    schemas: list[Path] | None = None
    default_soft_delete_models: list[str] | None = None
    fail_on: str | None = None
    disable: list[str] | None = None
    jobs: int | None = None


SECTIONS: dict[str, type[Section]] = {
    cls.section: cls for cls in (ApplySettings, StatusSettings, PlanSettings, VerifySettings, LintSettings, ScanEnv)
}


def read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def _tables(path: Path) -> dict[str, Any] | None:
    """The bhq-migrate tables of ``path``: the whole ``bhq-migrate.toml``, or pyproject's ``[tool.bhq-migrate]``."""
    data = read_toml(path)
    if path.name == "pyproject.toml":
        tool = data.get("tool", {}).get("bhq-migrate")
        return tool if isinstance(tool, dict) else None
    return data


def find_config_file(start: Path | None = None) -> Path | None:
    """The nearest ``bhq-migrate.toml``, or ``pyproject.toml`` with a ``[tool.bhq-migrate]`` table, at or above
    ``start`` (default: the working directory)."""
    named = os.environ.get(f"{ENV_PREFIX}CONFIG")
    if named:
        if not Path(named).is_file():
            raise ConfigError(f"{ENV_PREFIX}CONFIG names {named}, which is not a file")
        return Path(named)
    start = (start or Path.cwd()).resolve()
    directory = start if start.is_dir() else start.parent
    for folder in (directory, *directory.parents):
        own = folder / CONFIG_FILE_NAME
        if own.is_file():
            return own
        pyproject = folder / "pyproject.toml"
        if (pyproject.is_file() and "bhq-migrate" in pyproject.read_text(encoding="utf-8", errors="replace")
                and _tables(pyproject) is not None):
            return pyproject
    return None


def check_sections(path: Path) -> None:
    """Unknown top-level tables are errors too (a typo like ``[verfy]`` must not be silently ignored)."""
    tables = _tables(path) or {}
    for name, value in tables.items():
        if name not in SECTIONS:
            raise ConfigError(f"{path}: unknown section [{name}] (known: {', '.join(sorted(SECTIONS))})")
        if not isinstance(value, dict):
            raise ConfigError(f"{path}: [{name}] must be a table")


def load_section(section: str, config_file: Path | None = None) -> tuple[Section, Path | None]:
    """Settings of ``section`` from the environment and the config file (``config_file`` or the nearest one).

    Returns the settings (unset keys are None) and the file used. Raises ConfigError naming file and key.
    """
    cls = SECTIONS[section]
    path = config_file or find_config_file()
    table: dict[str, Any] = {}
    if path is not None:
        check_sections(path)
        raw = (_tables(path) or {}).get(section, {})
        table = {key.replace("-", "_"): value for key, value in raw.items()}
        for key in cls.paths:
            if isinstance(table.get(key), str):
                table[key] = str((path.parent / table[key]).resolve())
    log.debug("[%s] settings: %s", section, f"config file {path}" if path else "no config file found")
    return _validated(cls, table, path), path


def _validated(cls: type[Section], table: dict[str, Any], path: Path | None) -> Section:
    try:
        return cls(**table)
    except ValidationError as exc:
        error = exc.errors()[0]
        key = str(error["loc"][0]) if error["loc"] else "?"
        variable = f"{ENV_PREFIX}{cls.section.upper()}_{key.upper()}"
        if variable.lower() in {name.lower() for name in os.environ}:  # the environment wins, so it is the culprit
            where = f"environment variable {variable}"
        else:  # the file's value, or an unknown key in the file
            where = f"{path}: [{cls.section}] {key.replace('_', '-')}"
        message = "unknown key" if error["type"] == "extra_forbidden" else error["msg"]
        raise ConfigError(f"{where}: {message}") from None


def scan_environment() -> dict[str, Any]:
    """``BHQ_MIGRATE_SCAN_*`` values that are set (the scan's file settings are read by the scan itself)."""
    return _validated(ScanEnv, {}, None).model_dump(exclude_none=True)


def configured(settings: Section) -> dict[str, Any]:
    """The set keys, named as the command's options."""
    values = settings.model_dump(exclude_none=True)
    return {settings.options.get(key, key): value for key, value in values.items()}
