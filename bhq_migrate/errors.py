"""The one exception hierarchy. The CLI turns each into a one-line message and an exit code."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bhq_migrate.exitcodes import ExitCode


class BhqError(Exception):
    """Base class: ``str(error)`` is the one-line message shown to the user."""

    exit_code: ExitCode = ExitCode.CANNOT_RUN
    applied: tuple[str, ...] = ()
    """Plans this run committed before the failure (apply): they stay applied and recorded."""


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
    """Pre-flight found problems; nothing was changed. ``problems`` holds them all."""

    exit_code = ExitCode.FAILED

    def __init__(self, message: str, problems: Sequence[Any] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)

    @classmethod
    def with_problems(cls, problems: Sequence[Any]) -> PreflightFailed:
        first = problems[0]
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        return cls(f"pre-flight refused plan {first.plan}: {first.message}{more}; nothing was changed", problems)


class LockBusy(BhqError):
    """Another bhq-migrate holds the migration advisory lock."""

    exit_code = ExitCode.FAILED


class LockTimeout(BhqError):
    """A plan kept hitting lock_timeout; it was rolled back each time."""

    exit_code = ExitCode.FAILED


class TimedOut(BhqError):
    """A read (or any statement outside apply's retry loop) hit lock_timeout or statement_timeout; the message
    names the sessions in the way."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM) during apply, after ``applied`` plans committed: they stay applied and recorded."""

    def __init__(self, applied: tuple[str, ...]) -> None:
        super().__init__()
        self.applied = applied


class PlanFailed(BhqError):
    """A plan failed on the server and was rolled back."""

    exit_code = ExitCode.FAILED


class LintRefused(BhqError):
    """Lint found errors in a pending plan; apply refuses to run it."""

    exit_code = ExitCode.FAILED


class PermissionDenied(BhqError):
    """The role lacks a privilege the command needs (e.g. CREATE on the database for the history schema)."""


class PrismaSchemaError(ConfigError):
    """A schema.prisma does not parse or names something that does not exist (message has file:line:col)."""


class OnlineRetypeRefused(BhqError):
    """``apply --online-retype`` found, at the swap, something that a column swap would silently break."""

    exit_code = ExitCode.FAILED
