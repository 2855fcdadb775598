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
from urllib.parse import unquote

import psycopg
from psycopg import conninfo as pg_conninfo
from psycopg import errors as pg_errors
from psycopg.rows import TupleRow

from bhq_migrate import __version__
from bhq_migrate.errors import ConfigError, ConnectionFailed, PermissionDenied, TimedOut

# Re-exported: the commands that connect take their defaults from here, as before.
from bhq_migrate.limits import APPLY_STATEMENT_TIMEOUT as APPLY_STATEMENT_TIMEOUT
from bhq_migrate.limits import DEFAULT_LOCK_TIMEOUT as DEFAULT_LOCK_TIMEOUT
from bhq_migrate.limits import DEFAULT_STATEMENT_TIMEOUT as DEFAULT_STATEMENT_TIMEOUT

LIBPQ_TARGET_VARIABLES = ("PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE")
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)(?P<password>[^@\s]*)(?P<tail>@)", re.I)
_KV_PASSWORD = re.compile(r"(?P<head>\bpassword\s*=\s*)(?P<password>'(?:[^'\\]|\\.)*'|\S+)", re.I)
_QUERY_PASSWORD = re.compile(r"[?&]password=(?P<value>[^&#]*)", re.I)
_SCHEME = re.compile(r"^\s*postgres(?:ql)?://", re.I)
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_MIN_SECRET = 3
"""Shorter secrets are not scrubbed from messages: replacing every "ab" would garble them."""
_REGISTERED: set[str] = set()
_PARSE_FAILURES = (
    ("percent-encoded", "a '%' is not followed by two hex digits (write '%' as %25)"),
    ("invalid uri query parameter", "an unknown query parameter"),
    ("invalid connection option", "an unknown connection option"),
    ("spaces found", "a space (write it as %20)"),
    ('missing "="', "a word without '=' (quote values holding spaces)"),
    ("unterminated quoted string", "an unterminated quoted value"),
    ("invalid", "an invalid value"),
)


def resolve_url(explicit: str | None, environ: Mapping[str, str] | None = None) -> str:
    """Pick the target: an explicit URL, then ``DATABASE_URL``, then libpq's ``PG*`` variables.

    There is deliberately no fallback to a throwaway server: a migration must never silently run
    somewhere the operator did not name.
    """
    env = os.environ if environ is None else environ
    for given in (explicit, env.get("DATABASE_URL")):
        if given:
            register_secrets(given)  # before anything can fail: every later message is scrubbed of them
    if explicit:
        return check_url(explicit)
    if env.get("DATABASE_URL"):
        return check_url(env["DATABASE_URL"])
    if any(env.get(name) for name in LIBPQ_TARGET_VARIABLES):
        return ""  # an empty conninfo lets libpq read the PG* variables itself
    raise ConfigError(
        "no database given: pass --database-url, set DATABASE_URL or PGHOST/PGDATABASE, "
        "or try `bhq-migrate demo` for a throwaway database"
    )


def redact(text: str, url: str | None = None) -> str:
    """Remove every password from ``text``: URL userinfo, ``password=`` pairs and each known secret.

    The secrets are taken from what the user gave (``url``, every string passed to
    :func:`register_secrets`, ``DATABASE_URL`` and ``PGPASSWORD``), not from what libpq parsed: an
    unencoded ``/`` or ``@`` in a password makes libpq split the URL elsewhere, and then its "password"
    is only a fragment of the real one.
    """
    secrets = set(_REGISTERED)
    for source in (url, os.environ.get("DATABASE_URL")):
        if source:
            secrets |= secrets_in(source)
    env_password = os.environ.get("PGPASSWORD")
    if env_password:
        secrets.add(env_password)
    cleaned = text
    # The known secrets first and longest first: the patterns below cut a URL at its first "@", which would
    # leave the rest of a password holding an "@" for the whole-secret replacement to miss.
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= _MIN_SECRET:
            cleaned = cleaned.replace(secret, "***")
    cleaned = _URL_PASSWORD.sub(r"\g<head>***\g<tail>", cleaned)
    return _KV_PASSWORD.sub(r"\g<head>***", cleaned)


def register_secrets(given: str) -> None:
    """Remember the secrets in a URL or conninfo the user gave, so every later message is scrubbed of them."""
    _REGISTERED.update(secrets_in(given))


def secrets_in(given: str) -> set[str]:
    """Every string in ``given`` (a URL or ``key=value`` conninfo) that is, or may be, a password.

    Generous on purpose: for a URL, whatever follows the user name up to *each* ``@`` (the user may have
    meant any of them to end the userinfo), a non-numeric "port" (``app:secret/db`` with the ``@``
    forgotten), and ``password=`` values; each raw and percent-decoded; plus what libpq parsed.
    """
    found: set[str] = set()
    scheme = _SCHEME.match(given)
    if scheme:
        rest = given[scheme.end():]
        for at in (index for index, char in enumerate(rest) if char == "@"):
            userinfo = rest[:at]
            if ":" in userinfo:
                found.add(userinfo.split(":", 1)[1])
        authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
        host_part = re.sub(r"\[[^\]]*\]", "", authority.rsplit("@", 1)[-1])  # IPv6 literals hold colons
        found.update(port for port in re.findall(r":([^:,\]]+)", host_part) if not port.isdigit())
        found.update(match.group("value") for match in _QUERY_PASSWORD.finditer(rest))
    for match in _KV_PASSWORD.finditer(given):
        value = match.group("password")
        found.add(value)
        if value.startswith("'") and value.endswith("'") and len(value) >= 2:
            found.add(value[1:-1].replace("\\'", "'").replace("\\\\", "\\"))
    try:
        parsed = pg_conninfo.conninfo_to_dict(given).get("password")
    except psycopg.Error:
        parsed = None
    if parsed:
        found.add(str(parsed))
    decoded = {unquote(secret, errors="strict") for secret in found if _decodable(secret)}
    return {secret for secret in found | decoded if secret}


def url_problem(given: str) -> str | None:
    """Why libpq would read ``given`` differently from what its author meant, or None.

    libpq ends the userinfo at the first ``@`` before the first ``/``. A password holding an unencoded
    ``/`` or ``@`` therefore moves the split, and libpq would try to connect to a host (and look up in DNS
    a name) made of password fragments. The answer never quotes any part of ``given``.
    """
    scheme = _SCHEME.match(given)
    if not scheme:
        return None
    rest = given[scheme.end():]
    authority, _, after = rest.partition("/")
    encode_hint = "percent-encode special characters in the password (/ as %2F, @ as %40, % as %25)"
    if "@" in after:
        return f"an '@' follows the first '/'; {encode_hint}"
    if authority.count("@") > 1:
        return f"more than one '@' before the host; {encode_hint}"
    if _BAD_PERCENT.search(given):
        return f"a '%' is not followed by two hex digits; {encode_hint}"
    return None


def check_url(given: str) -> str:
    """``given`` unchanged, or a ConfigError (quoting nothing of it) when libpq would misread or reject it."""
    problem = url_problem(given)
    if problem is None:
        try:
            pg_conninfo.conninfo_to_dict(given)
        except psycopg.Error as exc:
            problem = _parse_failure(str(exc))
    if problem is not None:
        raise ConfigError(f"malformed database URL (not shown, it may contain a password): {problem}")
    return given


def _parse_failure(message: str) -> str:
    """A description of libpq's parse error that quotes nothing: its messages echo pieces of the URL."""
    lowered = message.lower()
    for needle, meaning in _PARSE_FAILURES:
        if needle in lowered:
            return meaning
    return "libpq cannot parse it"


def _decodable(text: str) -> bool:
    try:
        unquote(text, errors="strict")
    except UnicodeDecodeError:
        return False
    return "%" in text


def with_dbname(url: str, dbname: str) -> str:
    """The same connection target, pointed at another database (tests and benchmarks clone databases)."""
    params = pg_conninfo.conninfo_to_dict(url)
    params["dbname"] = dbname
    return pg_conninfo.make_conninfo(**params)  # type: ignore[arg-type]


def describe(url: str) -> str:
    """A password-free name for the target, e.g. ``app@db.internal:5432/breederhq``.

    A URL libpq would misread or cannot parse is not shown at all: its "host" may be part of a password.
    """
    try:
        params = pg_conninfo.conninfo_to_dict(check_url(url))
    except (psycopg.Error, ConfigError):
        return "<unparseable database URL>"
    user = str(params.get("user") or os.environ.get("PGUSER") or "")
    host = params.get("host") or os.environ.get("PGHOST") or "localhost"
    port = params.get("port") or os.environ.get("PGPORT") or "5432"
    dbname = params.get("dbname") or os.environ.get("PGDATABASE") or user
    host = str(host)
    if host.startswith("/"):
        host = f"[{host}]"
    return redact(f"{user + '@' if user else ''}{host}:{port}/{dbname}", url)


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


def permission_denied(exc: BaseException, url: str | None = None) -> PermissionDenied | None:
    """SQLSTATE 42501 (insufficient privilege) as one plain line: what the role may not read or change, as the
    server names it (``permission denied for table "Invoice"``), and whom the command connected as; None for any
    other error."""
    if not isinstance(exc, pg_errors.InsufficientPrivilege):
        return None
    what = _first_line_of(exc.diag.message_primary or str(exc))
    who = f" (connected as {describe(url)})" if url else ""
    return PermissionDenied(f"insufficient privilege: {what}{who}; grant that privilege, or connect as a role "
                            "that has it")


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
        """
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
    given = pg_conninfo.conninfo_to_dict(check_url(url))  # check_url: a ConfigError quoting nothing of the URL
    # Ours come last, so they win over the same settings in the URL's options or PGOPTIONS.
    options = " ".join(filter(None, [str(given.get("options") or os.environ.get("PGOPTIONS") or ""),
                                     limits.startup_options()]))
    from bhq_migrate.sqllog import cursor_factory  # --verbose: log every statement sent

    logged = cursor_factory()
    try:
        conn = Connection.connect(
            url,
            autocommit=autocommit,
            connect_timeout=connect_timeout,
            application_name=f"bhq-migrate {__version__}",
            options=options,
        )
        conn.limits = limits
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
