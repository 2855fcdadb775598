"""Opening connections: one place that resolves the target, names it safely, bounds every wait and translates
errors.

Nothing here ever prints or returns a password: :func:`describe` renders ``user@host:port/db`` and
:func:`redact` scrubs a password out of any text (a server or driver message may echo the conninfo).

Every connection runs under :class:`SessionLimits` (``lock_timeout`` and ``statement_timeout``), sent as
startup options, so even the first catalog query of a command cannot queue forever behind somebody's
``LOCK TABLE``. A lock or statement timeout that ends a ``with connect(...)`` block becomes one
:class:`~bhq_migrate.errors.TimedOut` line naming the sessions in the way (exit code 2).
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import psycopg
from psycopg import conninfo as pg_conninfo
from psycopg import errors as pg_errors
from psycopg.rows import TupleRow

from bhq_migrate import __version__
from bhq_migrate.errors import ConfigError, ConnectionFailed, TimedOut

LIBPQ_TARGET_VARIABLES = ("PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE")
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)(?P<password>[^@\s]*)(?P<tail>@)", re.I)
_KV_PASSWORD = re.compile(r"(?P<head>\bpassword\s*=\s*)(?P<password>'(?:[^'\\]|\\.)*'|\S+)", re.I)


def resolve_url(explicit: str | None, environ: Mapping[str, str] | None = None) -> str:
    """Pick the target: an explicit URL, then ``DATABASE_URL``, then libpq's ``PG*`` variables.

    There is deliberately no fallback to a throwaway server: a migration must never silently run
    somewhere the operator did not name.
    """
    env = os.environ if environ is None else environ
    if explicit:
        return explicit
    if env.get("DATABASE_URL"):
        return env["DATABASE_URL"]
    if any(env.get(name) for name in LIBPQ_TARGET_VARIABLES):
        return ""  # an empty conninfo lets libpq read the PG* variables itself
    raise ConfigError(
        "no database given: pass --database-url, set DATABASE_URL or PGHOST/PGDATABASE, "
        "or try `bhq-migrate demo` for a throwaway database"
    )


def redact(text: str, url: str | None = None) -> str:
    """Remove any password from ``text``: URL userinfo, ``password=`` pairs and the literal password."""
    cleaned = _URL_PASSWORD.sub(r"\g<head>***\g<tail>", text)
    cleaned = _KV_PASSWORD.sub(r"\g<head>***", cleaned)
    password = _password_of(url) if url else None
    if password:
        cleaned = cleaned.replace(password, "***")
    env_password = os.environ.get("PGPASSWORD")
    if env_password:
        cleaned = cleaned.replace(env_password, "***")
    return cleaned


def _password_of(url: str) -> str | None:
    try:
        return pg_conninfo.conninfo_to_dict(url).get("password")  # type: ignore[return-value]
    except psycopg.Error:
        match = _URL_PASSWORD.search(url) or _KV_PASSWORD.search(url)
        return match.group("password") if match else None


def with_dbname(url: str, dbname: str) -> str:
    """The same connection target, pointed at another database (tests and benchmarks clone databases)."""
    params = pg_conninfo.conninfo_to_dict(url)
    params["dbname"] = dbname
    return pg_conninfo.make_conninfo(**params)  # type: ignore[arg-type]


def describe(url: str) -> str:
    """A password-free name for the target, e.g. ``app@db.internal:5432/breederhq``."""
    try:
        params = pg_conninfo.conninfo_to_dict(url)
    except psycopg.Error:
        return "<unparseable database URL>"
    user = str(params.get("user") or os.environ.get("PGUSER") or "")
    host = params.get("host") or os.environ.get("PGHOST") or "localhost"
    port = params.get("port") or os.environ.get("PGPORT") or "5432"
    dbname = params.get("dbname") or os.environ.get("PGDATABASE") or user
    host = str(host)
    if host.startswith("/"):
        host = f"[{host}]"
    return f"{user + '@' if user else ''}{host}:{port}/{dbname}"


DEFAULT_LOCK_TIMEOUT = "3s"
"""How long any statement of any command may queue for a lock (``--lock-timeout``)."""
DEFAULT_STATEMENT_TIMEOUT = "5min"
"""Upper bound for one statement of the read-only commands (``--statement-timeout``)."""
APPLY_STATEMENT_TIMEOUT = "30min"
"""apply's default: a rewrite of a large table legitimately takes minutes."""

# PostgreSQL's duration syntax for these settings: a number with an optional unit (no unit = milliseconds).
_DURATION = re.compile(r"\d+(?:\.\d+)?\s*(?:us|ms|s|min|h|d)?")


@dataclass(frozen=True)
class SessionLimits:
    """The two settings every bhq-migrate session runs under; "0" disables one (PostgreSQL's meaning)."""

    lock_timeout: str = DEFAULT_LOCK_TIMEOUT
    statement_timeout: str = DEFAULT_STATEMENT_TIMEOUT

    def __post_init__(self) -> None:
        for option, value in (("--lock-timeout", self.lock_timeout), ("--statement-timeout", self.statement_timeout)):
            if not _DURATION.fullmatch(value.strip()):
                raise ConfigError(f"{option}: {value!r} is not a duration (use e.g. 500ms, 3s, 5min, 1h; 0 = none)")

    def startup_options(self) -> str:
        """libpq ``options``: ``-c lock_timeout=3s -c statement_timeout=5min`` (spaces removed: 5 min -> 5min)."""
        return (f"-c lock_timeout={self.lock_timeout.replace(' ', '')} "
                f"-c statement_timeout={self.statement_timeout.replace(' ', '')}")


class Connection(psycopg.Connection[TupleRow]):
    """A psycopg connection whose ``with`` block turns a lock or statement timeout into :class:`TimedOut`."""

    limits: SessionLimits = SessionLimits()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc_val: BaseException | None, exc_tb: TracebackType | None
    ) -> None:
        translated = timeout_error(self, exc_val) if exc_val is not None else None
        super().__exit__(exc_type, exc_val, exc_tb)
        if translated is not None:
            raise translated from None


def is_timeout(exc: BaseException | None) -> bool:
    """A ``lock_timeout`` or ``statement_timeout`` cancel (not a user's Ctrl-C, which is QueryCanceled too)."""
    if isinstance(exc, pg_errors.LockNotAvailable):
        return True
    return isinstance(exc, pg_errors.QueryCanceled) and "statement timeout" in str(exc)


def timeout_error(conn: psycopg.Connection[Any], exc: BaseException | None) -> TimedOut | None:
    """The one-line error for a timeout ``exc`` raised on ``conn``, naming who is in the way; None otherwise."""
    if not is_timeout(exc):
        return None
    limits = getattr(conn, "limits", SessionLimits())
    if isinstance(exc, pg_errors.LockNotAvailable):
        what = f"could not get a lock within lock_timeout={limits.lock_timeout}"
    else:
        what = f"a statement ran longer than statement_timeout={limits.statement_timeout}"
    blockers = "the sessions in the way could not be read"
    with contextlib.suppress(psycopg.Error):
        if conn.info.transaction_status == psycopg.pq.TransactionStatus.INERROR:
            conn.rollback() if not conn.autocommit else conn.execute("ROLLBACK")
        blockers = describe_exclusive_holders(conn)
    return TimedOut(f"{what}; {blockers}; retry later, or raise --lock-timeout/--statement-timeout")


SESSION_COLUMNS = """
    a.pid,
    coalesce(a.usename, '?') AS usename,
    coalesce(a.state, '?') AS state,
    coalesce(extract(epoch FROM now() - a.xact_start)::int, 0) AS xact_age_s,
    left(regexp_replace(coalesce(a.query, ''), '\\s+', ' ', 'g'), 120) AS query
"""
"""What names a session in every blocker message: pid, user, state, transaction age, query snippet."""


def format_sessions(rows: list[tuple[Any, ...]]) -> str:
    """``pid 42 (user app, idle in transaction, transaction open 9 s, query: LOCK "Invoice")``; ``;``-joined."""
    if not rows:
        return "no session found (it may have just finished)"
    return "; ".join(
        f"pid {pid} (user {user}, {state}, transaction open {age} s, query: {query!s})"
        for pid, user, state, age, query, *_ in rows
    )


def describe_exclusive_holders(conn: psycopg.Connection[Any]) -> str:
    """Sessions of this database holding, or queued for, an ACCESS EXCLUSIVE table lock: the only mode that
    stops a reader, and a queued request stops every later one. pg_locks and pg_stat_activity take no
    table locks, so this works while the tables are locked."""
    rows = conn.execute(
        f"""
        SELECT DISTINCT {SESSION_COLUMNS}, l.granted, l.relation::regclass::text AS relation
        FROM pg_catalog.pg_locks AS l JOIN pg_catalog.pg_stat_activity AS a ON a.pid = l.pid
        WHERE l.locktype = 'relation' AND l.mode = 'AccessExclusiveLock' AND l.pid <> pg_backend_pid()
          AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
        ORDER BY l.granted DESC, 1
        """  # type: ignore[arg-type]
    ).fetchall()
    if not rows:
        return "no session holds an ACCESS EXCLUSIVE lock now (it may have just finished)"
    held = [row for row in rows if row[5]]
    queued = [row for row in rows if not row[5]]
    parts = []
    if held:
        tables = ", ".join(dict.fromkeys(str(row[6]) for row in held))
        parts.append(f"blocked by {format_sessions(_by_pid(held))}, holding ACCESS EXCLUSIVE on {tables}")
    if queued:
        parts.append(f"queued behind {format_sessions(_by_pid(queued))}, waiting for ACCESS EXCLUSIVE")
    return "; ".join(parts)


def _by_pid(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return list({row[0]: row for row in rows}.values())


def connect(
    url: str, *, autocommit: bool = False, connect_timeout: int = 10, limits: SessionLimits | None = None
) -> Connection:
    """Open a connection under ``limits`` (default: :class:`SessionLimits`), turning every driver failure into
    a one-line, password-free ConnectionFailed."""
    limits = limits or SessionLimits()
    try:
        given = pg_conninfo.conninfo_to_dict(url)
    except psycopg.Error as exc:
        raise ConfigError(f"malformed database URL: {redact(_first_line(exc), url)}") from None
    # Ours come last, so they win over the same settings in the URL's options or PGOPTIONS.
    options = " ".join(filter(None, [str(given.get("options") or os.environ.get("PGOPTIONS") or ""),
                                     limits.startup_options()]))
    try:
        conn = Connection.connect(
            url,
            autocommit=autocommit,
            connect_timeout=connect_timeout,
            application_name=f"bhq-migrate {__version__}",
            options=options,
        )
        conn.limits = limits
        return conn
    except psycopg.OperationalError as exc:
        raise ConnectionFailed(f"cannot connect to {describe(url)}: {_reason(exc, url)}") from None
    except psycopg.Error as exc:
        raise ConnectionFailed(f"cannot connect to {describe(url)}: {redact(_first_line(exc), url)}") from None


def _reason(exc: psycopg.Error, url: str) -> str:
    message = redact(str(exc), url)
    lowered = message.lower()
    if "password authentication failed" in lowered or "authentication failed" in lowered:
        user_match = re.search(r'for user "([^"]+)"', message)
        who = f' for user "{user_match.group(1)}"' if user_match else ""
        return f"authentication failed{who} (check the user and password)"
    if "does not exist" in lowered and "database" in lowered:
        db_match = re.search(r'database "([^"]+)" does not exist', message)
        return f'database "{db_match.group(1)}" does not exist' if db_match else _first_line_of(message)
    if "connection refused" in lowered:
        return "connection refused (is the server running and accepting TCP connections?)"
    if "timeout expired" in lowered:
        return "timed out"
    if "could not translate host name" in lowered or "name or service not known" in lowered:
        return "unknown host"
    if "no password supplied" in lowered:
        return "the server asks for a password and none was given"
    return _first_line_of(message)


def _first_line(exc: BaseException) -> str:
    return _first_line_of(str(exc))


def _first_line_of(message: str) -> str:
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    # libpq prefixes multi-host attempts with 'connection failed: connection to server at ... failed:'
    return lines[-1] if lines else "unknown error"
