"""`bhq-migrate lint` command(s)."""

from bhq_migrate.cli.app import app  # noqa: F401
