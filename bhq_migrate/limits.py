"""The default session limits of every command, apart from :mod:`bhq_migrate.connection` (which imports psycopg):
``lint`` declares its ``--lock-timeout`` option with them without loading a database driver it does not use."""

DEFAULT_LOCK_TIMEOUT = "3s"
"""How long any statement of any command may queue for a lock (``--lock-timeout``)."""
DEFAULT_STATEMENT_TIMEOUT = "5min"
"""Upper bound for one statement of the read-only commands (``--statement-timeout``)."""
APPLY_STATEMENT_TIMEOUT = "30min"
"""apply's default: a rewrite of a large table legitimately takes minutes."""
