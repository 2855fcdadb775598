"""`bhq-migrate scan` command(s)."""

from bhq_migrate.cli.app import app  # noqa: F401
