"""Benchmark: `apply --online` against `psql -1 -f`, plain `apply` and `apply --online-retype`, under a fixed-rate
application load that uses prepared statements, with a no-migration baseline measured in the same run.

Usage::

    python bench/online_apply.py [--invoices 2000000] [--payments 1000000] [--rate 200] [--rounds 1]
                                 [--baseline-seconds 15] [--variants psql,apply,online-retype,online]

Builds the pre-fix baseline once in a throwaway cluster (or on $BHQ_BENCH_DATABASE_URL, which needs CREATEDB) and
clones it per run with CREATE DATABASE ... TEMPLATE. During every run (and during the baseline, which runs the
load alone for --baseline-seconds):

* a load generator schedules transactions at a fixed rate (open loop: a transaction's latency counts from the
  moment it was due, so a stall also delays the ones queued behind it), a mix of 40 % payment inserts (their
  foreign key checks "Invoice"), 30 % invoice status updates and 30 % reads of a tenant's 20 most recent invoices
  (returning "amountCents"), each a server-side prepared statement (psycopg prepare=True, as Prisma does). A
  failed transaction is counted, and its worker reconnects (what a pooler recycle does);
* a watcher samples pg_locks every few milliseconds and keeps, per table, the longest continuous time an ACCESS
  EXCLUSIVE lock was held.

Reported per variant: wall time, longest ACCESS EXCLUSIVE hold per table, longest latency, p99, transactions
completed and failed, ratios to the baseline. After each migration the end state is checked: `verify` passes,
and the money sums of the rows that existed before the run are unchanged. Results go in bench/RESULTS.md by hand.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bhq_migrate.baseline.loader import SampleSize, load_baseline, load_sample_data
from bhq_migrate.connection import with_dbname
from bhq_migrate.embedded import EmbeddedPostgres
from bhq_migrate.plans import load_plans
from bhq_migrate.resources import default_plans_dir

TABLES = ("Invoice", "Payment", "Contact", "Tenant", "Animal")
WORKERS = 8


@dataclass
class Load:
    latencies: list[float] = field(default_factory=list)
    failed: int = 0
    errors: dict[str, int] = field(default_factory=dict)


class LoadGenerator(threading.Thread):
    """Fixed-rate mix of prepared statements on WORKERS connections; every latency is kept."""

    def __init__(self, url: str, rate: float, tenants: int, invoices: int) -> None:
        super().__init__(daemon=True)
        self.url, self.rate, self.tenants, self.invoices = url, rate, tenants, invoices
        self.stop = threading.Event()
        self.load = Load()
        self.lock = threading.Lock()
        self.next_slot = 0
        self.started = 0.0

    def _due(self) -> float | None:
        with self.lock:
            slot = self.next_slot
            self.next_slot += 1
        due = self.started + slot / self.rate
        while not self.stop.is_set():
            delay = due - time.monotonic()
            if delay <= 0:
                return due
            time.sleep(min(delay, 0.05))
        return None

    def _worker(self, seed: int) -> None:
        rng = random.Random(seed)
        conn: psycopg.Connection[Any] | None = None
        while not self.stop.is_set():
            due = self._due()
            if due is None:
                break
            try:
                if conn is None:
                    conn = psycopg.connect(self.url, autocommit=True)
                self._transaction(conn, rng)
                latency = time.monotonic() - due
                with self.lock:
                    self.load.latencies.append(latency)
            except psycopg.Error as exc:
                with self.lock:
                    self.load.failed += 1
                    key = f"{exc.sqlstate}: {str(exc).splitlines()[0][:80]}"
                    self.load.errors[key] = self.load.errors.get(key, 0) + 1
                if conn is not None:
                    conn.close()
                conn = None
        if conn is not None:
            conn.close()

    def _transaction(self, conn: psycopg.Connection[Any], rng: random.Random) -> None:
        pick = rng.random()
        invoice = rng.randint(1, self.invoices)
        if pick < 0.4:
            conn.execute('INSERT INTO "Payment" ("tenantId", "invoiceId", "amountCents", "status", "updatedAt") '
                         "VALUES (%s, %s, %s, 'pending', now())", (1, invoice, rng.randint(100, 10_000)), prepare=True)
        elif pick < 0.7:
            conn.execute('UPDATE "Invoice" SET "status" = %s, "updatedAt" = now() WHERE "id" = %s',
                         (rng.choice(("sent", "paid", "overdue")), invoice), prepare=True)
        else:
            conn.execute('SELECT "id", "invoiceNumber", "status", "amountCents", "balanceCents" FROM "Invoice" '
                         'WHERE "tenantId" = %s ORDER BY "createdAt" DESC LIMIT 20',
                         (rng.randint(1, self.tenants),), prepare=True).fetchall()

    def run(self) -> None:
        self.started = time.monotonic()
        workers = [threading.Thread(target=self._worker, args=(n,), daemon=True) for n in range(WORKERS)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()


class LockWatcher(threading.Thread):
    """Samples pg_locks; keeps the longest continuous ACCESS EXCLUSIVE hold per table."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url, self.stop = url, threading.Event()
        self.longest: dict[str, float] = dict.fromkeys(TABLES, 0.0)

    def run(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            oids = {row[0]: row[1] for row in conn.execute(
                "SELECT c.oid::bigint, c.relname FROM pg_class AS c WHERE c.relname = ANY (%s) "
                "AND c.relnamespace = 'public'::regnamespace", (list(TABLES),))}
            since: dict[str, float] = {}
            while not self.stop.is_set():
                held = {oids[row[0]] for row in conn.execute(
                    "SELECT relation::bigint FROM pg_locks WHERE locktype = 'relation' AND granted "
                    "AND mode = 'AccessExclusiveLock' AND relation = ANY (%s)", (list(oids),)) if row[0] in oids}
                now = time.monotonic()
                for table in TABLES:
                    if table in held:
                        since.setdefault(table, now)
                        self.longest[table] = max(self.longest[table], now - since[table])
                    else:
                        since.pop(table, None)
                time.sleep(0.002)


@dataclass
class Run:
    variant: str
    wall_s: float
    exclusive: dict[str, float]
    load: Load
    verified: str = ""

    def percentile(self, q: float) -> float:
        ordered = sorted(self.load.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0

    @property
    def longest(self) -> float:
        return max(self.load.latencies, default=0.0)


@contextlib.contextmanager
def server() -> Iterator[str]:
    if os.environ.get("BHQ_BENCH_DATABASE_URL"):
        yield os.environ["BHQ_BENCH_DATABASE_URL"]
        return
    with EmbeddedPostgres() as pg:
        yield pg.url


def clone(admin_url: str, template: str, name: str) -> str:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template)))
        conn.execute("CHECKPOINT")
    return with_dbname(admin_url, name)


def drop(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


MONEY_SQL = """
SELECT (SELECT sum("amountCents")::numeric + sum("balanceCents") + coalesce(sum("depositCents"), 0)
        FROM "Invoice"),
       (SELECT sum("amountCents")::numeric FROM "Payment" WHERE "id" <= %(payments)s),
       (SELECT count(*) FROM "Invoice"), (SELECT count(*) FROM "Payment" WHERE "id" <= %(payments)s)
"""


def money(url: str, payments: int) -> tuple[Any, ...]:
    with psycopg.connect(url) as conn:
        row = conn.execute(MONEY_SQL, {"payments": payments}).fetchone()
    return tuple(row) if row else ()


def measured(variant: str, url: str, command: list[str] | None, args: argparse.Namespace, tenants: int,
             expected: tuple[Any, ...], payments: int) -> Run:
    watcher, load = LockWatcher(url), LoadGenerator(url, args.rate, tenants, args.invoices)
    watcher.start()
    load.start()
    time.sleep(1.0)  # the load is in its rhythm before the migration starts (part of every variant, baseline too)
    started = time.monotonic()
    if command is None:
        time.sleep(args.baseline_seconds)
        result = None
    else:
        result = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.monotonic() - started
    time.sleep(0.5)
    for thread in (watcher, load):
        thread.stop.set()
    watcher.join()
    load.join()
    if result is not None and result.returncode != 0:
        raise SystemExit(f"{variant} failed: {result.stderr.strip()[-800:]}")
    run = Run(variant, wall, watcher.longest, load.load)
    if command is not None:
        checked = subprocess.run([sys.executable, "-m", "bhq_migrate", "verify", "--database-url", url],
                                 capture_output=True, text=True, check=False)
        same = money(url, payments) == expected
        run.verified = ("verify ok" if checked.returncode == 0 else f"verify exit {checked.returncode}") + (
            ", sums unchanged" if same else ", SUMS CHANGED")
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoices", type=int, default=2_000_000)
    parser.add_argument("--payments", type=int, default=1_000_000)
    parser.add_argument("--rate", type=float, default=200.0, help="load transactions per second")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--baseline-seconds", type=float, default=15.0)
    parser.add_argument("--variants", default="psql,apply,online-retype,online")
    args = parser.parse_args()
    psql = shutil.which("psql")
    if psql is None:
        raise SystemExit("psql is needed for the psql -1 -f variant")
    plans = [plan for plan in load_plans(default_plans_dir()) if not plan.optional]
    combined = Path(os.environ.get("TMPDIR", "/tmp")) / "bhq_bench_online_plans.sql"
    combined.write_text("\n".join(plan.text for plan in plans))
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}; load average {os.getloadavg()}")
    with server() as admin_url:
        template = "bench_online_baseline"
        drop(admin_url, template)
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(template)))
        size = SampleSize.scaled(args.invoices, args.payments)
        started = time.monotonic()
        with psycopg.connect(with_dbname(admin_url, template)) as conn:
            load_baseline(conn)
            load_sample_data(conn, size)
            conn.execute("ANALYZE")
            conn.commit()
            sizes = conn.execute("SELECT pg_total_relation_size('\"Invoice\"') / 1048576, count(*) FROM \"Tenant\"")
            invoice_mb, tenants = sizes.fetchone() or (0, 1)
        print(f"baseline: {size.invoices:,} invoices ({invoice_mb} MiB), {size.payments:,} payments, "
              f"built in {time.monotonic() - started:.1f} s")
        expected = money(with_dbname(admin_url, template), size.payments)
        tool = [sys.executable, "-m", "bhq_migrate", "apply", "--no-progress"]
        commands: dict[str, Any] = {
            "psql": lambda url: [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-1", "-f", str(combined), url],
            "apply": lambda url: [*tool, "--database-url", url, "--lock-timeout", "30s"],
            "online-retype": lambda url: [*tool, "--database-url", url, "--lock-timeout", "30s", "--online-retype"],
            "online": lambda url: [*tool, "--database-url", url, "--online"],
        }
        wanted = [v for v in args.variants.split(",") if v]
        runs: list[Run] = []
        for round_number in range(args.rounds):
            url = clone(admin_url, template, "bench_online_run")
            runs.append(measured("baseline (no migration)", url, None, args, int(tenants), expected, size.payments))
            print(f"  baseline: {row(runs[-1])}", flush=True)
            for variant in wanted:
                url = clone(admin_url, template, "bench_online_run")
                runs.append(measured(variant, url, commands[variant](url), args, int(tenants), expected,
                                     size.payments))
                print(f"  {variant}: {runs[-1].wall_s:.1f} s; {row(runs[-1])}", flush=True)
            print(f"round {round_number + 1}/{args.rounds} done; load average {os.getloadavg()}", flush=True)
        drop(admin_url, "bench_online_run")
        drop(admin_url, template)
    report(runs)


def row(run: Run) -> str:
    """One variant's figures (printed as soon as it is measured, and again in the final table)."""
    return (f"{run.variant:<24} {run.wall_s:>7.2f} " + " ".join(f"{run.exclusive[t]:>12.3f}" for t in TABLES)
            + f" {run.longest:>9.3f} {run.percentile(0.99):>7.3f} {len(run.load.latencies):>6} "
            f"{run.load.failed:>6}  {run.verified}")


def report(runs: list[Run]) -> None:
    header = (f"{'variant':<24} {'wall s':>7} " + " ".join(f"{'AE ' + t:>12}" for t in TABLES)
              + f" {'max lat s':>9} {'p99 s':>7} {'done':>6} {'failed':>6}  end state")
    print("\n" + header)
    for run in runs:
        print(row(run))
    baselines = [run for run in runs if run.variant.startswith("baseline")]
    if baselines:
        base_max = max(run.longest for run in baselines)
        base_p99 = max(run.percentile(0.99) for run in baselines)
        print(f"\nbaseline: longest latency {base_max:.3f} s, p99 {base_p99:.3f} s")
        for run in runs:
            if run in baselines:
                continue
            print(f"{run.variant:<24} longest latency x{run.longest / base_max:.1f}, p99 "
                  f"x{run.percentile(0.99) / base_p99:.1f}")
    for run in runs:
        for error, count in sorted(run.load.errors.items()):
            print(f"{run.variant}: {count} x {error}")


if __name__ == "__main__":
    main()
