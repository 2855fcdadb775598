"""Benchmark: `bhq-migrate apply` (with and without --online-retype) against `psql -1 -f` on a 2M-invoice
BreederHQ, under a live writer.

Usage::

    python bench/apply_large.py [--invoices 2000000] [--payments 1000000] [--rounds 1]

Builds the pre-fix baseline once in a throwaway cluster (or on $BHQ_BENCH_DATABASE_URL, which needs
CREATEDB), clones it per run with CREATE DATABASE ... TEMPLATE, and for each variant measures in the same run:

* wall time of the whole migration (plans 001 + 002);
* the longest continuous time an ACCESS EXCLUSIVE lock on "Invoice" is held (pg_locks sampled every 5 ms);
* the longest stall seen by a concurrent writer inserting one payment every 10 ms.

Prints a table, the apply/psql ratio (the tool's overhead) and the lock figures of the three variants.
Results go in bench/RESULTS.md by hand.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bhq_migrate.baseline.loader import SampleSize, load_baseline, load_sample_data
from bhq_migrate.connection import with_dbname
from bhq_migrate.embedded import EmbeddedPostgres
from bhq_migrate.plans import load_plans
from bhq_migrate.resources import default_plans_dir


@dataclass
class Measurement:
    variant: str
    wall_s: float
    longest_exclusive_s: float
    longest_stall_s: float
    writes: int


class LockWatcher(threading.Thread):
    """Samples pg_locks for ACCESS EXCLUSIVE on "Invoice"; keeps the longest continuous span."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url, self.stop, self.longest = url, threading.Event(), 0.0

    def run(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            since: float | None = None
            while not self.stop.is_set():
                held = conn.execute(
                    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE relation = '\"Invoice\"'::regclass "
                    "AND mode = 'AccessExclusiveLock' AND granted)"
                ).fetchone()
                now = time.monotonic()
                if held and held[0]:
                    since = now if since is None else since
                    self.longest = max(self.longest, now - since)
                else:
                    since = None
                time.sleep(0.005)


class PaymentWriter(threading.Thread):
    """Inserts one payment every 10 ms (the FK to "Invoice" makes it wait on that table's locks too)."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url, self.stop, self.longest, self.writes = url, threading.Event(), 0.0, 0

    def run(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self.stop.is_set():
                started = time.monotonic()
                conn.execute(
                    'INSERT INTO "Payment" ("tenantId", "invoiceId", "amountCents", "status", "updatedAt") '
                    "VALUES (1, 1, 100, 'pending', now())"
                )
                took = time.monotonic() - started
                self.longest, self.writes = max(self.longest, took), self.writes + 1
                time.sleep(max(0.0, 0.010 - took))


@contextlib.contextmanager
def server() -> Iterator[str]:
    if os.environ.get("BHQ_BENCH_DATABASE_URL"):
        yield os.environ["BHQ_BENCH_DATABASE_URL"]
        return
    with EmbeddedPostgres() as pg:
        yield pg.url


def url_for(admin_url: str, dbname: str) -> str:
    return with_dbname(admin_url, dbname)


def clone(admin_url: str, template: str, name: str) -> str:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template)))
        conn.execute("CHECKPOINT")
    return url_for(admin_url, name)


def measured(variant: str, url: str, command: list[str]) -> Measurement:
    watcher, writer = LockWatcher(url), PaymentWriter(url)
    watcher.start()
    writer.start()
    time.sleep(0.3)  # the writer is in its rhythm before the migration starts
    started = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.monotonic() - started
    time.sleep(0.1)
    for thread in (watcher, writer):
        thread.stop.set()
        thread.join()
    if result.returncode != 0:
        raise SystemExit(f"{variant} failed: {result.stderr.strip()[-500:]}")
    return Measurement(variant, wall, watcher.longest, writer.longest, writer.writes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoices", type=int, default=2_000_000)
    parser.add_argument("--payments", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--plans-dir", type=Path, default=default_plans_dir(),
                        help="plans to apply (default: the shipped ones); e.g. a directory holding only the retypes")
    args = parser.parse_args()
    psql = shutil.which("psql")
    if psql is None:
        raise SystemExit("psql is needed for the baseline measurement")
    plans = [plan for plan in load_plans(args.plans_dir) if not plan.optional]
    plans_option = ["--plans-dir", str(args.plans_dir)]
    with server() as admin_url:
        template = "bench_baseline"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(template)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(template)))
        size = SampleSize.scaled(args.invoices, args.payments)
        started = time.monotonic()
        with psycopg.connect(url_for(admin_url, template)) as conn:
            load_baseline(conn)
            load_sample_data(conn, size)
            invoice_mb = conn.execute("SELECT pg_total_relation_size('\"Invoice\"') / 1048576").fetchone()
        print(f"baseline: {size.invoices:,} invoices ({invoice_mb[0] if invoice_mb else '?'} MiB), "
              f"{size.payments:,} payments, built in {time.monotonic() - started:.1f} s")
        combined = Path(os.environ.get("TMPDIR", "/tmp")) / "bhq_bench_plans.sql"
        combined.write_text("\n".join(plan.text for plan in plans))
        results: list[Measurement] = []
        for round_number in range(args.rounds):
            url = clone(admin_url, template, "bench_psql")
            results.append(measured("psql -1 -f", url,
                                    [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-1", "-f", str(combined), url]))
            url = clone(admin_url, template, "bench_apply")
            results.append(measured("bhq-migrate apply", url,
                                    [sys.executable, "-m", "bhq_migrate", "apply", "--database-url", url,
                                     "--no-progress", "--lock-timeout", "30s", *plans_option]))
            url = clone(admin_url, template, "bench_online")
            results.append(measured("apply --online-retype", url,
                                    [sys.executable, "-m", "bhq_migrate", "apply", "--database-url", url,
                                     "--no-progress", "--lock-timeout", "30s", "--online-retype", *plans_option]))
            print(f"round {round_number + 1}/{args.rounds} done")
    print(f"\n{'variant':<22} {'wall s':>8} {'max ACCESS EXCLUSIVE s':>24} {'max writer stall s':>20} {'writes':>7}")
    for m in results:
        print(f"{m.variant:<22} {m.wall_s:>8.2f} {m.longest_exclusive_s:>24.2f} "
              f"{m.longest_stall_s:>20.2f} {m.writes:>7}")
    psql_walls = [m.wall_s for m in results if m.variant.startswith("psql")]
    tool_walls = [m.wall_s for m in results if m.variant == "bhq-migrate apply"]
    best = min(tool_walls) / min(psql_walls)
    median = statistics.median(tool_walls) / statistics.median(psql_walls)
    print(f"\nratio apply / psql: best of {args.rounds} {best:.3f} (overhead {100 * (best - 1):+.1f} %), "
          f"median {median:.3f} (overhead {100 * (median - 1):+.1f} %)")
    for variant in ("psql -1 -f", "bhq-migrate apply", "apply --online-retype"):
        runs = [m for m in results if m.variant == variant]
        locks, stalls = [m.longest_exclusive_s for m in runs], [m.longest_stall_s for m in runs]
        print(f'{variant:<22} ACCESS EXCLUSIVE on "Invoice" max {max(locks):.2f} s (median '
              f"{statistics.median(locks):.2f} s); writer stall max {max(stalls):.2f} s; median wall "
              f"{statistics.median(m.wall_s for m in runs):.2f} s")

if __name__ == "__main__":
    main()
