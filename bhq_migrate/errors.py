"""The one exception hierarchy. The CLI turns each into a one-line message and an exit code."""

from __future__ import annotations

from bhq_migrate.exitcodes import ExitCode


class BhqError(Exception):
    """Base class: ``str(error)`` is the one-line message shown to the user."""

    exit_code: ExitCode = ExitCode.CANNOT_RUN


class ConfigError(BhqError):
    """Bad input: a malformed file, option or setting."""


class ConnectionFailed(BhqError):
    """The database could not be reached or refused us (never contains a password)."""


class EmbeddedServerError(BhqError):
    """A throwaway PostgreSQL server could not be started."""


class BadPlan(BhqError):
    """A plan file is malformed: it does not parse, or its header is wrong."""


class PlanChanged(BhqError):
    """An applied plan's file no longer matches the checksum recorded in history."""

    exit_code = ExitCode.FAILED


class PreflightFailed(BhqError):
    """Pre-flight found problems; nothing was changed."""

    exit_code = ExitCode.FAILED


class LockBusy(BhqError):
    """Another bhq-migrate holds the migration advisory lock."""

    exit_code = ExitCode.FAILED


class LockTimeout(BhqError):
    """A plan kept hitting lock_timeout; it was rolled back each time."""

    exit_code = ExitCode.FAILED


class PlanFailed(BhqError):
    """A plan failed on the server and was rolled back."""

    exit_code = ExitCode.FAILED


class LintRefused(BhqError):
    """Lint found errors in a pending plan; apply refuses to run it."""

    exit_code = ExitCode.FAILED


class PrismaSchemaError(ConfigError):
    """A schema.prisma does not parse or names something that does not exist (message has file:line:col)."""
