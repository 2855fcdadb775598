"""`bhq-migrate apply`, `status` and `demo`."""

from bhq_migrate.cli.app import app  # noqa: F401
