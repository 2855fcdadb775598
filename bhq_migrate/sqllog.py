"""``--verbose``: every statement sent to the server, with its duration, on the ``bhq_migrate.sql`` logger.

:func:`~bhq_migrate.connection.connect` installs :class:`LoggingCursor` only when that logger is enabled for
DEBUG, so a normal run pays nothing. Parameters are never logged (they are data), and a ``PASSWORD '...'``
literal in a statement is masked.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

import psycopg

log = logging.getLogger("bhq_migrate.sql")
_PASSWORD = re.compile(r"(PASSWORD\s+)'(?:[^']|'')*'", re.IGNORECASE)
_MAX_CHARS = 2000


def shown(query: Any) -> str:
    """One line of SQL, password literals masked, cut at 2,000 characters."""
    text: Any = query
    if not isinstance(query, (str, bytes)):
        try:
            text = query.as_string(None)  # psycopg.sql.Composed
        except Exception:  # a composed query that needs a connection to render: show its structure
            text = repr(query)
    line = " ".join((text.decode() if isinstance(text, bytes) else str(text)).split())
    line = _PASSWORD.sub(r"\1'***'", line)
    return line if len(line) <= _MAX_CHARS else line[:_MAX_CHARS] + " ..."


class LoggingCursor(psycopg.Cursor):
    """A cursor that logs each statement and how long the server took."""

    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return super().execute(query, params, **kwargs)
        finally:
            log.debug("%.1f ms  %s", (time.perf_counter() - started) * 1000, shown(query))


def cursor_factory() -> type[psycopg.Cursor] | None:
    """The cursor class for a new connection: :class:`LoggingCursor` under ``--verbose``, else the default."""
    return LoggingCursor if log.isEnabledFor(logging.DEBUG) else None
