"""`bhq-migrate verify`: options and rendering only; the work is in bhq_migrate.verify."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from bhq_migrate.cli.app import (
    DATABASE_URL_HELP,
    LockTimeout,
    StatementTimeout,
    app,
    fail,
    guarded,
    output_file,
    session_limits,
    stdout,
)
from bhq_migrate.connection import DEFAULT_LOCK_TIMEOUT, DEFAULT_STATEMENT_TIMEOUT, SessionLimits, resolve_url
from bhq_migrate.exitcodes import ExitCode
from bhq_migrate.report.junit import to_junit_xml
from bhq_migrate.report.verify_console import render_report, render_summary
from bhq_migrate.report.verify_formats import to_json, to_verify_sarif
from bhq_migrate.verify import VerifyOptions, VerifyReport, verify
from bhq_migrate.verify.audits import DEFAULT_MONEY_PATTERNS, DEFAULT_SOFT_DELETE_COLUMNS, DEFAULT_TENANT_COLUMNS


class VerifyFormat(str, Enum):
    console = "console"
    json = "json"
    sarif = "sarif"


@app.command("verify")
def verify_command(
    database_url: Annotated[
        str | None, typer.Option("--database-url", "-d", help=DATABASE_URL_HELP, show_default=False)
    ] = None,
    plans_dir: Annotated[
        Path | None, typer.Option("--plans-dir", help="Directory of NNN_slug.sql plans (default: shipped plans).",
                                  show_default=False)
    ] = None,
    checks_dir: Annotated[
        Path | None, typer.Option("--checks-dir", help="Directory of NNN_slug.toml expectations (default: shipped).",
                                  show_default=False)
    ] = None,
    plan: Annotated[
        list[str] | None, typer.Option("--plan", help="Check this plan id (repeatable); default: the plans in "
                                       "history, or every non-optional plan when there is no history.",
                                       show_default=False)
    ] = None,
    schema: Annotated[
        list[str] | None, typer.Option("--schema", help="Only this schema (repeatable).", show_default=False)
    ] = None,
    table: Annotated[
        list[str] | None, typer.Option("--table", help="Only this table, name or schema.name (repeatable).",
                                       show_default=False)
    ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Warnings fail too (exit 1).")] = False,
    output_format: Annotated[
        VerifyFormat, typer.Option("--format", "-f", help="console, json or sarif (on stdout).")
    ] = VerifyFormat.console,
    junit_xml: Annotated[
        Path | None, typer.Option("--junit-xml", help="Also write a JUnit XML report here (one test case per check; "
                                  "the folder must exist).", show_default=False, callback=output_file)
    ] = None,
    money_pattern: Annotated[
        list[str] | None, typer.Option("--money-pattern", help="Glob naming money columns for V001 (repeatable; "
                                       f"default: {', '.join(DEFAULT_MONEY_PATTERNS)}).", show_default=False)
    ] = None,
    soft_delete_column: Annotated[
        list[str] | None, typer.Option("--soft-delete-column", help="Soft-delete column name for V005 (repeatable; "
                                       f"default: {', '.join(DEFAULT_SOFT_DELETE_COLUMNS)}).", show_default=False)
    ] = None,
    show_passed: Annotated[bool, typer.Option("--show-passed", help="List passing checks too.")] = False,
    tenant_column: Annotated[
        list[str] | None, typer.Option("--tenant-column", help="A column that makes a table a tenant table "
                                       f"(repeatable; default: {', '.join(DEFAULT_TENANT_COLUMNS)}).",
                                       show_default=False)
    ] = None,
    app_role: Annotated[
        list[str] | None, typer.Option("--app-role", help="The application's role, checked by V013 (repeatable; "
                                       "default: the role running verify).", show_default=False)
    ] = None,
    probe_role: Annotated[
        str | None, typer.Option("--probe-role", help="Prove tenant isolation as this role, in a transaction that "
                                 "is always rolled back (one result per table and command).", show_default=False)
    ] = None,
    probe_writes: Annotated[
        bool, typer.Option("--probe-writes", help="With --probe-role: also try cross-tenant INSERT and UPDATE.")
    ] = False,
    lock_timeout: LockTimeout = DEFAULT_LOCK_TIMEOUT,
    statement_timeout: StatementTimeout = DEFAULT_STATEMENT_TIMEOUT,
) -> None:
    """Check that the live database is in the state the applied plans promise, plus built-in audits.

    Read-only (one READ ONLY transaction; a role with only USAGE/SELECT can run it). --probe-role writes
    only inside a transaction that is always rolled back.
    Exit codes: 0 all checks pass, 1 a check failed (or warned, with --strict), 2 could not run.
    """
    if probe_writes and probe_role is None:
        fail("--probe-writes needs --probe-role ROLE")
    url = guarded(lambda: resolve_url(database_url))
    limits = session_limits(lock_timeout, statement_timeout)
    options = VerifyOptions.model_validate(
        {
            key: value
            for key, value in {
                "plans_dir": plans_dir,
                "checks_dir": checks_dir,
                "plans": tuple(plan or ()),
                "schemas": tuple(schema or ()),
                "tables": tuple(table or ()),
                "strict": strict,
                "money_patterns": tuple(money_pattern) if money_pattern else None,
                "soft_delete_columns": tuple(soft_delete_column) if soft_delete_column else None,
                "tenant_columns": tuple(tenant_column) if tenant_column else None,
                "app_roles": tuple(app_role or ()),
                "probe_role": probe_role,
                "probe_writes": probe_writes,
                "limits": limits,
            }.items()
            if value is not None
        }
    )
    report: VerifyReport = guarded(lambda: verify(url, options), url)
    if junit_xml is not None:
        try:
            junit_xml.write_text(to_junit_xml(report), encoding="utf-8")
        except OSError as exc:
            fail(f"cannot write {junit_xml}: {exc.strerror}")
    if output_format is VerifyFormat.json:
        stdout.out(to_json(report), highlight=False)
    elif output_format is VerifyFormat.sarif:
        stdout.out(json.dumps(to_verify_sarif(report), indent=2), highlight=False)
    else:
        stdout.print(render_report(report, show_passed=show_passed))
    raise typer.Exit(int(ExitCode.OK if report.ok else ExitCode.FAILED))


def print_verify_summary(
    url: str, plans_dir: Path | None = None, checks_dir: Path | None = None, limits: SessionLimits | None = None
) -> bool:
    """For ``apply --verify`` and ``demo``: verify in the same invocation, print the short summary, and
    return whether it passed (the caller maps False to exit code 1). Errors go through ``guarded``."""
    options = VerifyOptions.model_validate(
        {key: value for key, value in {"plans_dir": plans_dir, "checks_dir": checks_dir, "limits": limits}.items()
         if value is not None}
    )
    report: VerifyReport = guarded(lambda: verify(url, options), url)
    stdout.print(render_summary(report))
    return report.ok
