"""Opening connections: one place that resolves the target, names it safely and translates errors.

Nothing here ever prints or returns a password: :func:`describe` renders ``user@host:port/db`` and
:func:`redact` scrubs a password out of any text (a server or driver message may echo the conninfo).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

import psycopg
from psycopg import conninfo as pg_conninfo

from bhq_migrate import __version__
from bhq_migrate.errors import ConfigError, ConnectionFailed

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


def connect(url: str, *, autocommit: bool = False, connect_timeout: int = 10) -> psycopg.Connection[tuple]:  # type: ignore[type-arg]
    """Open a connection, turning every driver failure into a one-line, password-free ConnectionFailed."""
    try:
        pg_conninfo.conninfo_to_dict(url)
    except psycopg.Error as exc:
        raise ConfigError(f"malformed database URL: {redact(_first_line(exc), url)}") from None
    from bhq_migrate.sqllog import cursor_factory  # --verbose: log every statement sent

    logged = cursor_factory()
    try:
        conn = psycopg.connect(
            url,
            autocommit=autocommit,
            connect_timeout=connect_timeout,
            application_name=f"bhq-migrate {__version__}",
        )
        if logged is not None:
            conn.cursor_factory = logged
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
