"""Command-line interface: a thin typer layer over the library. Each module registers its commands."""

from bhq_migrate.cli import demo, lint, migrate, prisma, scan, verify  # noqa: F401  (registers commands)
from bhq_migrate.cli.app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
