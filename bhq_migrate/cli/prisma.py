"""`bhq-migrate export-prisma` and `audit-prisma`: options and rendering; the work is in bhq_migrate.prisma."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from bhq_migrate.cli.app import (
    DATABASE_URL_HELP,
    LockTimeout,
    StatementTimeout,
    app,
    guarded,
    output_folder,
    session_limits,
    stdout,
)
from bhq_migrate.cli.output import json_output, print_json
from bhq_migrate.connection import DEFAULT_LOCK_TIMEOUT, DEFAULT_STATEMENT_TIMEOUT, connect, describe, resolve_url
from bhq_migrate.exitcodes import ExitCode
from bhq_migrate.plans import load_plans
from bhq_migrate.prisma.audit import AuditReport, audit
from bhq_migrate.prisma.migrations import export_plans, migration_sql, prisma_checksum
from bhq_migrate.prisma.rules import RULES, Classification
from bhq_migrate.prisma_schema.parser import load_schema
from bhq_migrate.report.envelope import envelope
from bhq_migrate.report.sarif import to_sarif
from bhq_migrate.resources import default_plans_dir


class AuditFormat(str, Enum):
    console = "console"
    json = "json"
    sarif = "sarif"


@app.command("export-prisma")
def export_prisma(
    directory: Annotated[Path, typer.Argument(help="Prisma migrations directory, e.g. prisma/migrations (created if "
                                              "missing; its parent must exist).", callback=output_folder)],
    plans_dir: Annotated[
        Path | None, typer.Option("--plans-dir", help="Directory of NNN_slug.sql plans (default: the shipped plans).",
                                  show_default=False)
    ] = None,
    with_optional: Annotated[
        bool, typer.Option("--with-optional", help="Also export optional plans (003); only if you apply them.")
    ] = False,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an exported migration.sql whose content changed.")
    ] = False,
) -> None:
    """Write each plan as a Prisma migration folder DIR/<timestamp>_<name>/migration.sql.

    The SQL is the plan file verbatim, the same statements `apply` runs; the timestamps are fixed per
    plan, so a second export changes nothing. Exit codes: 0 written, 2 could not run.
    """

    def run() -> None:
        plans = [p for p in load_plans(plans_dir or default_plans_dir())
                 if not p.optional or (with_optional and not p.explicit)]
        paths = export_plans(plans, directory, overwrite=overwrite)
        for plan, path in zip(plans, paths, strict=True):
            checksum = prisma_checksum(migration_sql(plan))[:12]
            stdout.print(f"{escape(str(path.parent))}  sha256 {checksum}  (plan {plan.id})")
        skipped = "" if with_optional else " (optional plans skipped; --with-optional exports them)"
        stdout.print(f"{len(paths)} Prisma migration(s) in {escape(str(directory))}{skipped}")

    guarded(run)


@app.command("audit-prisma")
def audit_prisma(
    schema_file: Annotated[Path, typer.Argument(help="The schema.prisma to compare with the database.")],
    database_url: Annotated[
        str | None, typer.Option("--database-url", "-d", help=DATABASE_URL_HELP, show_default=False)
    ] = None,
    output_format: Annotated[AuditFormat, typer.Option("--format", "-f", help="console, json or sarif.")] = (
        AuditFormat.console
    ),
    default_schema: Annotated[
        str, typer.Option("--schema", help="PostgreSQL schema of models without @@schema (the URL's ?schema=).")
    ] = "public",
    lock_timeout: LockTimeout = DEFAULT_LOCK_TIMEOUT,
    statement_timeout: StatementTimeout = DEFAULT_STATEMENT_TIMEOUT,
) -> None:
    """Compare schema.prisma with the live catalog and name every difference.

    Each finding is drift (Prisma Migrate will change the database, or fail, on the next migrate dev)
    or expected (Prisma cannot express the object: CHECKs, partial indexes). Read-only.
    Exit codes: 0 no drift (expected differences only), 1 drift found, 2 could not run.
    """
    json_output("audit-prisma", output_format is AuditFormat.json)
    url = guarded(lambda: resolve_url(database_url))
    limits = session_limits(lock_timeout, statement_timeout)

    def run() -> AuditReport:
        schema = load_schema(schema_file)
        with connect(url, limits=limits) as conn:
            return audit(conn, schema, default_schema)

    report = guarded(run, url)
    if output_format is AuditFormat.json:
        print_json(_as_json(report, describe(url)))
    elif output_format is AuditFormat.sarif:
        stdout.print_json(json.dumps(to_sarif(report.findings, RULES, tool="bhq-migrate audit-prisma")))
    else:
        _print_console(report, describe(url))
    raise typer.Exit(int(ExitCode.OK if report.in_sync else ExitCode.FAILED))


def _as_json(report: AuditReport, database: str) -> dict[str, object]:
    return envelope(
        "audit-prisma", report.in_sync, {"drift": len(report.drift), "expected": len(report.expected)},
        schema=report.schema_path, database=database, schemas=list(report.schemas), in_sync=report.in_sync,
        findings=[finding.model_dump(mode="json") for finding in report.findings],
    )


def _print_console(report: AuditReport, database: str) -> None:
    names = {rule.id: rule.name for rule in RULES}
    for finding in report.findings:
        colour = "red" if finding.classification is Classification.DRIFT else "cyan"
        stdout.print(
            f"{escape(finding.location())}: [{colour}]{finding.classification.value}[/] "
            f"{finding.rule} {names.get(finding.rule, '')}: {escape(finding.message)}",
            markup=True,
            highlight=False,
        )
    verdict = (
        "[green]in sync: nothing Prisma Migrate would change[/]"
        if report.in_sync
        else "[red]drift: prisma migrate dev would change the database[/]"
    )
    stdout.print(
        f"{escape(report.schema_path)} vs {escape(database)} ({escape(', '.join(report.schemas))}): "
        f"{len(report.drift)} drift, "
        f"{len(report.expected)} expected; {verdict}",
        markup=True,
    )
