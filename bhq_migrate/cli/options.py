"""Options shared by several commands, declared once so their names, short forms and help agree."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bhq_migrate.findings import Severity

SourceOption = Annotated[
    list[Path] | None,
    typer.Option("--source", metavar="PATH", help="Also scan this code (file or folder, repeatable) for unscoped "
                 "Prisma queries, with scan-queries' settings: one report and one exit code over schema and code.",
                 show_default=False),
]
FailOnOption = Annotated[
    Severity | None,
    typer.Option("--fail-on", help="With --source: exit 1 when a code finding is at least this severe (default: "
                 "the scan configuration's fail-on, else error).", show_default=False),
]
BaselineOption = Annotated[
    Path | None,
    typer.Option("--baseline", metavar="PATH", help="With --source: scan-queries baseline of known findings to "
                 "ignore.", show_default=False),
]
ScanConfigOption = Annotated[
    Path | None,
    typer.Option("--config", metavar="PATH", help="With --source: bhq-migrate.toml or pyproject.toml with the scan "
                 "settings (default: the nearest one above the first --source).", show_default=False),
]
