"""Benchmark: `apply --online` against `psql -1 -f`, plain `apply` and `apply --online-retype`, under a fixed-rate
application load that uses prepared statements, with a no-migration baseline measured in the same run.

Usage::

    python bench/online_apply.py [--invoices 2000000] [--payments 1000000] [--rate 200] [--rounds 1]
                                 [--baseline-seconds 15] [--variants psql,apply,online-retype,online]
                                 [--online-args '--online-batch-ms 20'] [--db-setting NAME=VALUE ...]
                                 [--online-variant NAME='ARGS' ...] [--max-steal 0.03]
                                 [--reuse-baseline] [--bracket] [--control] [--watch-ms 2]
                                 [--shared-buffers 1GB]

Builds the pre-fix baseline once in a throwaway cluster (or on $BHQ_BENCH_DATABASE_URL, which needs CREATEDB;
with --reuse-baseline it is kept there for the next run) and clones it per run with CREATE DATABASE ...
TEMPLATE. During every run (and during the baseline, which runs the load alone for --baseline-seconds):

* a load generator (eight connections, each in a process of its own) schedules transactions at a fixed rate (open
  loop: a transaction's latency counts from the moment it was due, so a stall also delays the ones queued behind
  it), a mix of 40 % payment inserts (their foreign key checks "Invoice"), 30 % invoice status updates and 30 %
  reads of a tenant's 20 most recent invoices (returning "amountCents"), each a server-side prepared statement
  (psycopg prepare=True, as Prisma does). A failed transaction is counted, and its worker reconnects (what a pooler
  recycle does);
* a watcher, in a process of its own, samples pg_locks every few milliseconds and keeps, per table, the longest
  continuous time an ACCESS EXCLUSIVE lock was held.

Reported per variant: wall time, longest ACCESS EXCLUSIVE hold per table, longest latency, p99, transactions
completed and failed, ratios to the baseline (with --bracket, to a second baseline measured after the round's
migrations too: their A/A ratio is the machine's own drift, which on a shared host can exceed a migration's effect),
and the CPU steal during each (/proc/stat: the time the hypervisor gave other guests; a round whose migration met
more steal than its baselines did is not comparable, whatever the load average said; --max-steal measures such a
round again).
After each migration the end state is checked: `verify` passes, and the money sums of the rows that existed before
the run are unchanged. Results go in bench/RESULTS.md by hand.

Where the time and the stalls come from: the watcher also samples what bhq-migrate's sessions and autovacuum are
running (pg_stat_activity). For each migration it prints its phases (backfill of a table, each index build,
each validation, ...) with the seconds each ran, the load's p99 and longest latency while each ran, and the
slowest transactions with what was running when they were due.
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import multiprocessing
import multiprocessing.queues
import os
import random
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
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
BEFORE, AFTER = "baseline (no migration)", "baseline after"


@dataclass
class Load:
    latencies: list[float] = field(default_factory=list)
    samples: list[tuple[float, float, str]] = field(default_factory=list)
    """(due, latency, kind) per completed transaction, for the phase diagnosis."""
    failed: int = 0
    errors: dict[str, int] = field(default_factory=dict)


class LoadGenerator:
    """Fixed-rate mix of prepared statements on WORKERS connections, each in a process of its own (as an
    application's workers are); every latency is kept.

    Why processes, not threads: with eight threads under one GIL, a thread holding the GIL that the OS preempts
    (which happens as soon as a migration keeps a core busy) stalls all the others, and the load measured its own
    client's convoy on top of the server's latency. In the thread version a trivial payment insert had a p99 of
    23-41 ms in the no-migration baseline on a slow hour of this machine.
    """

    def __init__(self, url: str, rate: float, tenants: int, invoices: int) -> None:
        self.url, self.rate, self.tenants, self.invoices = url, rate, tenants, invoices
        context = multiprocessing.get_context("spawn")  # no fork of a process that runs threads
        self.stop = context.Event()
        self._go = context.Event()
        self._slots = context.Value("q", 0)
        self._started = context.Value("d", 0.0)
        self._ready: multiprocessing.queues.Queue[bool] = context.Queue()
        self._results: multiprocessing.queues.Queue[tuple[list[tuple[float, float, str]], int, dict[str, int]]] = (
            context.Queue())
        self._workers = [
            context.Process(target=_load_worker, daemon=True, args=(
                self.url, self.rate, self.tenants, self.invoices, seed, self._slots, self._started, self._go,
                self.stop, self._ready, self._results))
            for seed in range(WORKERS)]
        self.load = Load()

    def start(self) -> None:
        """Starts the workers and returns once each has connected and the schedule's clock has started."""
        for worker in self._workers:
            worker.start()
        for _ in self._workers:
            self._ready.get(timeout=120)
        self._started.value = time.monotonic()  # CLOCK_MONOTONIC: one clock for every process on the machine
        self._go.set()

    def join(self) -> None:
        for _ in self._workers:  # read before joining: a worker cannot exit while its result fills the pipe
            samples, failed, errors = self._results.get(timeout=120)
            self.load.samples.extend(samples)
            self.load.failed += failed
            for key, count in errors.items():
                self.load.errors[key] = self.load.errors.get(key, 0) + count
        for worker in self._workers:
            worker.join()
        self.load.samples.sort()
        self.load.latencies = [latency for _due, latency, _kind in self.load.samples]


def _load_worker(url: str, rate: float, tenants: int, invoices: int, seed: int, slots: Any, started: Any,
                 go: Any, stop: Any, ready: Any, results: Any) -> None:
    """One load connection: takes the next free slot of the shared fixed-rate schedule, runs one transaction."""
    rng = random.Random(seed)
    samples: list[tuple[float, float, str]] = []
    failed, errors = 0, dict[str, int]()
    conn: psycopg.Connection[Any] | None = psycopg.connect(url, autocommit=True)
    ready.put(True)
    go.wait()

    def due() -> float | None:
        with slots.get_lock():  # a free worker takes the next slot: one stalled connection delays only its own
            slot = slots.value
            slots.value += 1
        when = started.value + slot / rate
        while not stop.is_set():
            delay = when - time.monotonic()
            if delay <= 0:
                return float(when)
            time.sleep(min(delay, 0.05))
        return None

    failed_before = False
    while (when := due()) is not None:
        try:
            # The transaction after a failure reconnects first (inside its timing): it is labelled, so that
            # the report can tell the cost of the forced reconnection from the migration's effect on queries.
            reconnected, failed_before = failed_before, False
            if conn is None:
                conn = psycopg.connect(url, autocommit=True)
            kind = _transaction(conn, rng, tenants, invoices) + (" after reconnect" if reconnected else "")
            samples.append((when, time.monotonic() - when, kind))
        except psycopg.Error as exc:
            failed += 1
            key = f"{exc.sqlstate}: {str(exc).splitlines()[0][:80]}"
            errors[key] = errors.get(key, 0) + 1
            if conn is not None:
                conn.close()
            conn = None
            failed_before = True
    if conn is not None:
        conn.close()
    results.put((samples, failed, errors))


def _transaction(conn: psycopg.Connection[Any], rng: random.Random, tenants: int, invoices: int) -> str:
    pick = rng.random()
    invoice = rng.randint(1, invoices)
    if pick < 0.4:
        conn.execute('INSERT INTO "Payment" ("tenantId", "invoiceId", "amountCents", "status", "updatedAt") '
                     "VALUES (%s, %s, %s, 'pending', now())", (1, invoice, rng.randint(100, 10_000)), prepare=True)
        return "insert"
    if pick < 0.7:
        conn.execute('UPDATE "Invoice" SET "status" = %s, "updatedAt" = now() WHERE "id" = %s',
                     (rng.choice(("sent", "paid", "overdue")), invoice), prepare=True)
        return "update"
    conn.execute('SELECT "id", "invoiceNumber", "status", "amountCents", "balanceCents" FROM "Invoice" '
                 'WHERE "tenantId" = %s ORDER BY "createdAt" DESC LIMIT 20',
                 (rng.randint(1, tenants),), prepare=True).fetchall()
    return "read"


WATCH_SQL = """
SELECT (SELECT array_agg(l.relation::bigint) FROM pg_catalog.pg_locks AS l
        WHERE l.locktype = 'relation' AND l.granted AND l.mode = 'AccessExclusiveLock'
          AND l.relation = ANY (%(oids)s)),
       (SELECT array_agg(left(a.query, 200) || coalesce(' [' || a.wait_event_type || ']', ''))
        FROM pg_catalog.pg_stat_activity AS a
        WHERE a.pid <> pg_backend_pid() AND a.state = 'active'
          AND (a.application_name LIKE 'bhq-migrate%%' OR a.backend_type = 'autovacuum worker'))
"""


def phase(activity: str) -> str:
    """A short name for what a bhq-migrate session or autovacuum is doing (one sampled query)."""
    waiting = " (waiting for a lock)" if activity.endswith("[Lock]") else ""
    text = " ".join(re.sub(r" \[\w+\]$", "", activity).split())
    if text.startswith("autovacuum:"):
        return text.split(" (")[0]
    if match := re.search(r'INDEX CONCURRENTLY (?:IF (?:NOT )?EXISTS )?("[^"]+"(?:\."[^"]+")?|\S+)', text):
        return f"{'drop index' if text.upper().startswith('DROP') else 'index'} {match.group(1)}" + waiting
    if match := re.match(r'UPDATE ("[^"]+"(?:\."[^"]+")?) SET "\w+__bhq_new"', text):
        return f"backfill {match.group(1)}" + waiting
    if match := re.search(r"VALIDATE CONSTRAINT (\S+)", text):
        return f"validate {match.group(1)}" + waiting
    if text.upper().startswith("ANALYZE"):
        return "analyze " + text.split()[1] + waiting
    return text[:60] + waiting


class LockWatcher:
    """Samples pg_locks and pg_stat_activity in a process of its own (so that its work never holds the load's
    interpreter): keeps the longest continuous ACCESS EXCLUSIVE hold per table, and a timeline of what
    bhq-migrate's sessions and autovacuum were running."""

    def __init__(self, url: str, interval_s: float = 0.002) -> None:
        context = multiprocessing.get_context("spawn")
        self.stop = context.Event()
        self._ready: multiprocessing.queues.Queue[bool] = context.Queue()
        self._results: multiprocessing.queues.Queue[
            tuple[dict[str, float], list[tuple[float, tuple[str, ...]]]]] = context.Queue()
        self._process = context.Process(target=_watch, args=(url, interval_s, self.stop, self._ready, self._results),
                                        daemon=True)
        self.longest: dict[str, float] = dict.fromkeys(TABLES, 0.0)
        self.timeline: list[tuple[float, tuple[str, ...]]] = []

    def start(self) -> None:
        self._process.start()
        self._ready.get(timeout=120)

    def join(self) -> None:
        self.longest, self.timeline = self._results.get(timeout=120)
        self._process.join()


def _watch(url: str, interval_s: float, stop: Any, ready: Any, results: Any) -> None:
    longest: dict[str, float] = dict.fromkeys(TABLES, 0.0)
    timeline: list[tuple[float, tuple[str, ...]]] = []
    with psycopg.connect(url, autocommit=True) as conn:
        oids = {row[0]: row[1] for row in conn.execute(
            "SELECT c.oid::bigint, c.relname FROM pg_class AS c WHERE c.relname = ANY (%s) "
            "AND c.relnamespace = 'public'::regnamespace", (list(TABLES),))}
        since: dict[str, float] = {}
        ready.put(True)
        while not stop.is_set():
            locked, activity = conn.execute(WATCH_SQL, {"oids": list(oids)}, prepare=True).fetchone() or (None, None)
            held = {oids[oid] for oid in locked or () if oid in oids}
            now = time.monotonic()
            timeline.append((now, tuple(sorted({phase(a) for a in activity or ()}))))
            for table in TABLES:
                if table in held:
                    since.setdefault(table, now)
                    longest[table] = max(longest[table], now - since[table])
                else:
                    since.pop(table, None)
            time.sleep(interval_s)
    results.put((longest, timeline))


def percentile(values: list[float], q: float) -> float:
    """The q-quantile of ``values`` (nearest rank), 0.0 when there are none."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


@dataclass
class Run:
    variant: str
    wall_s: float
    exclusive: dict[str, float]
    load: Load
    verified: str = ""
    timeline: list[tuple[float, tuple[str, ...]]] = field(default_factory=list)
    started: float = 0.0
    control: list[float] = field(default_factory=list)
    """--control: the latencies of the same load on an untouched clone during the same window."""
    steal: float | None = None
    """The share of this virtual machine's CPU time the hypervisor gave to others during the run (/proc/stat's
    steal; None where there is no /proc/stat). A neighbour's burst shows here, not in the load average."""

    def percentile(self, q: float) -> float:
        return percentile(self.load.latencies, q)

    @property
    def longest(self) -> float:
        return max(self.load.latencies, default=0.0)


def cpu_times() -> list[int] | None:
    """The machine's CPU time counters (user, nice, system, idle, iowait, irq, softirq, steal, ...), or None."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            return [int(value) for value in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None


def steal_share(before: list[int] | None, after: list[int] | None) -> float | None:
    if before is None or after is None or len(before) < 8 or len(after) < 8:
        return None
    spent = [b - a for a, b in zip(before, after, strict=False)]
    total = sum(spent[:8])  # guest time is counted in user already
    return spent[7] / total if total > 0 else None


@contextlib.contextmanager
def server(settings: dict[str, str]) -> Iterator[str]:
    if os.environ.get("BHQ_BENCH_DATABASE_URL"):
        yield os.environ["BHQ_BENCH_DATABASE_URL"]
        return
    with EmbeddedPostgres(settings=settings) as pg:
        yield pg.url


def clone(admin_url: str, template: str, name: str, settings: list[str] | None = None) -> str:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template)))
        for setting in settings or ():  # --db-setting: for every session of the run, the load's too
            key, _, value = setting.partition("=")
            conn.execute(sql.SQL("ALTER DATABASE {} SET {} = {}").format(
                sql.Identifier(name), sql.Identifier(key.strip()), sql.Literal(value.strip())))
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
             expected: tuple[Any, ...], payments: int, control_url: str | None = None) -> Run:
    watcher, load = LockWatcher(url, args.watch_ms / 1000), LoadGenerator(url, args.rate, tenants, args.invoices)
    # --control: the same load on an untouched clone at the same time, under the same host and server.
    control = LoadGenerator(control_url, args.rate, tenants, args.invoices) if control_url else None
    watcher.start()
    load.start()
    if control is not None:
        control.start()
    time.sleep(1.0)  # the load is in its rhythm before the migration starts (part of every variant, baseline too)
    started, counters = time.monotonic(), cpu_times()
    if command is None:
        time.sleep(args.baseline_seconds)
        result = None
    else:
        result = subprocess.run(command, capture_output=True, text=True, check=False)
    wall, steal = time.monotonic() - started, steal_share(counters, cpu_times())
    time.sleep(0.5)
    for sampler in (watcher, load, control):
        if sampler is not None:
            sampler.stop.set()
    watcher.join()
    load.join()
    if control is not None:
        control.join()
    if result is not None and result.returncode != 0:
        raise SystemExit(f"{variant} failed: {result.stderr.strip()[-800:]}")
    # Only transactions due once the migration (or the baseline's window) started count: the warm-up second
    # includes each worker's connection set-up, which is not what a migration does to the application.
    load.load.samples = [sample for sample in load.load.samples if sample[0] >= started]
    load.load.latencies = [latency for _due, latency, _kind in load.load.samples]
    run = Run(variant, wall, watcher.longest, load.load, timeline=watcher.timeline, started=started, steal=steal)
    if control is not None:
        run.control = [latency for due, latency, _kind in control.load.samples if due >= started]
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
    parser.add_argument("--db-setting", action="append", default=[], metavar="NAME=VALUE",
                        help="ALTER DATABASE ... SET on each run's database (baseline's too), e.g. "
                             "max_parallel_maintenance_workers=0")
    parser.add_argument("--shared-buffers", default="1GB",
                        help="the throwaway cluster's shared_buffers (ignored with $BHQ_BENCH_DATABASE_URL). A "
                             "production server keeps its hot set in memory; at PostgreSQL's default 128MB the 2M "
                             "baseline's tables do not fit, and every variant measures buffer eviction too")
    parser.add_argument("--watch-ms", type=float, default=2.0,
                        help="pause between two pg_locks samples; the sampler is a busy session of its own, and on a "
                             "2-core machine its CPU competes with the load it measures")
    parser.add_argument("--bracket", action="store_true",
                        help="measure the no-migration baseline after each round's migrations too, and give each "
                             "migration's ratios against both: the two baselines' ratio (an A/A control) shows how "
                             "far the machine itself drifted during the round")
    parser.add_argument("--control", action="store_true",
                        help="run the same load on a second, untouched clone during every window (a concurrent "
                             "control): what the control's p99 does during a migration is the host's and the "
                             "server's share (CPU, I/O, shared buffers), immune to the machine's drift between "
                             "windows; the rest is the migrated database's own. Size --shared-buffers for two clones")
    parser.add_argument("--reuse-baseline", action="store_true",
                        help="with $BHQ_BENCH_DATABASE_URL: keep the baseline database between runs and reuse it")
    parser.add_argument("--max-steal", type=float, default=None, metavar="SHARE",
                        help="measure a round again when any of its runs met more CPU steal than this share (e.g. "
                             "0.03): a neighbour's burst on a shared virtual machine, not the migration")
    parser.add_argument("--max-discarded", type=int, default=10,
                        help="with --max-steal: give up discarding after this many rounds (the rest are kept)")
    parser.add_argument("--online-variant", action="append", default=[], metavar="NAME=ARGS",
                        help="one more --online variant, with extra apply arguments, measured in the same rounds "
                             "(add NAME to --variants), e.g. pause50='--online-batch-pause-ms 50'")
    parser.add_argument("--online-args", default="", help="extra apply arguments for the online variant, e.g. "
                                                           "'--online-batch-ms 20'")
    args = parser.parse_args()
    psql = shutil.which("psql")
    if psql is None:
        raise SystemExit("psql is needed for the psql -1 -f variant")
    plans = [plan for plan in load_plans(default_plans_dir()) if not plan.optional]
    combined = Path(os.environ.get("TMPDIR", "/tmp")) / "bhq_bench_online_plans.sql"
    combined.write_text("\n".join(plan.text for plan in plans))
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}; load average {os.getloadavg()}; "
          f"{' '.join(sys.argv)}", flush=True)
    with server({"shared_buffers": args.shared_buffers}) as admin_url:
        # One template per size, so that --reuse-baseline keeps a 2M and a 10M template side by side.
        template = f"bench_online_baseline_{args.invoices}_{args.payments}"
        size = SampleSize.scaled(args.invoices, args.payments)
        if args.reuse_baseline and _exists(admin_url, template):
            with psycopg.connect(with_dbname(admin_url, template)) as conn:
                found = conn.execute('SELECT (SELECT count(*) FROM "Invoice"), (SELECT count(*) FROM "Payment"), '
                                     "(SELECT count(*) FROM \"Tenant\")").fetchone() or (0, 0, 1)
            if found[:2] != (size.invoices, size.payments):
                raise SystemExit(f"--reuse-baseline: {template} holds {found[0]:,} invoices and {found[1]:,} payments")
            tenants = found[2]
            print(f"baseline: {size.invoices:,} invoices, {size.payments:,} payments, reused", flush=True)
        else:
            drop(admin_url, template)
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(template)))
            started = time.monotonic()
            with psycopg.connect(with_dbname(admin_url, template)) as conn:
                load_baseline(conn)
                load_sample_data(conn, size)
                conn.commit()
                # Settled once, so that no clone's first reads set hint bits or wake autovacuum on the fresh
                # rows (the first round's baseline p99 was 8x the second's before this).
                conn.autocommit = True
                conn.execute("VACUUM (FREEZE, ANALYZE)")
                conn.execute("CHECKPOINT")
                sizes = conn.execute("SELECT pg_total_relation_size('\"Invoice\"') / 1048576, count(*) FROM \"Tenant\"")
                invoice_mb, tenants = sizes.fetchone() or (0, 1)
            print(f"baseline: {size.invoices:,} invoices ({invoice_mb} MiB), {size.payments:,} payments, "
                  f"built in {time.monotonic() - started:.1f} s", flush=True)
        expected = money(with_dbname(admin_url, template), size.payments)
        tool = [sys.executable, "-m", "bhq_migrate", "apply", "--no-progress"]
        commands: dict[str, Any] = {
            "psql": lambda url: [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-1", "-f", str(combined), url],
            "apply": lambda url: [*tool, "--database-url", url, "--lock-timeout", "30s"],
            "online-retype": lambda url: [*tool, "--database-url", url, "--lock-timeout", "30s", "--online-retype"],
            "online": lambda url: [*tool, "--database-url", url, "--online", *shlex.split(args.online_args)],
        }
        for definition in args.online_variant:
            name, _, extra = definition.partition("=")
            commands[name] = partial(lambda url, extra: [*tool, "--database-url", url, "--online", *extra],
                                     extra=shlex.split(extra))
        wanted = [v for v in args.variants.split(",") if v]
        if unknown := [v for v in wanted if v not in commands]:
            raise SystemExit(f"unknown variant(s) {', '.join(unknown)}: choose from {', '.join(commands)}")
        runs: list[Run] = []
        round_number, discarded = 0, 0
        while round_number < args.rounds:
            control_url = clone(admin_url, template, "bench_online_control", args.db_setting) if args.control else None
            url = clone(admin_url, template, "bench_online_run", args.db_setting)
            members = [measured(BEFORE, url, None, args, int(tenants), expected, size.payments, control_url)]
            print(f"  baseline: {row(members[-1])}", flush=True)
            print(f"    {by_kind(members[-1])}", flush=True)
            for variant in wanted:
                url = clone(admin_url, template, "bench_online_run", args.db_setting)
                members.append(measured(variant, url, commands[variant](url), args, int(tenants), expected,
                                        size.payments, control_url))
                print(f"  {variant}: {members[-1].wall_s:.1f} s; {row(members[-1])}", flush=True)
                diagnose(members[-1])
            if args.bracket:
                url = clone(admin_url, template, "bench_online_run", args.db_setting)
                members.append(measured(AFTER, url, None, args, int(tenants), expected, size.payments, control_url))
                print(f"  baseline after: {row(members[-1])}", flush=True)
                print(f"    {by_kind(members[-1])}", flush=True)
            stolen = max((run.steal or 0.0 for run in members), default=0.0)
            if args.max_steal is not None and stolen > args.max_steal and discarded < args.max_discarded:
                discarded += 1
                print(f"round {round_number + 1} discarded ({discarded}/{args.max_discarded}): CPU steal reached "
                      f"{stolen:.0%} in one of its runs (--max-steal {args.max_steal:.0%}); measuring it again",
                      flush=True)
                continue
            runs += members
            round_number += 1
            print(f"round {round_number}/{args.rounds} done; load average {os.getloadavg()}", flush=True)
        drop(admin_url, "bench_online_run")
        drop(admin_url, "bench_online_control")
        if not args.reuse_baseline:
            drop(admin_url, template)
    report(runs)


def _exists(admin_url: str, name: str) -> bool:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        return conn.execute("SELECT EXISTS (SELECT FROM pg_database WHERE datname = %s)", (name,)).fetchone() == (
            True,)


def row(run: Run) -> str:
    """One variant's figures (printed as soon as it is measured, and again in the final table)."""
    return (f"{run.variant:<24} {run.wall_s:>7.2f} " + " ".join(f"{run.exclusive[t]:>12.3f}" for t in TABLES)
            + f" {run.longest:>9.3f} {run.percentile(0.99):>7.3f} {len(run.load.latencies):>6} "
            f"{run.load.failed:>6}  {run.verified}"
            + (f"  [control p99 {percentile(run.control, 0.99):.3f}, max {max(run.control):.3f}]"
               if run.control else "")
            + (f"  steal {run.steal:.0%}" if run.steal is not None else ""))


def by_kind(run: Run) -> str:
    """p50 / p99 latency of each kind of load transaction, in milliseconds."""
    kinds: dict[str, list[float]] = {}
    for _due, latency, kind in run.load.samples:
        kinds.setdefault(kind, []).append(latency)
    return "; ".join(f"{kind} p50 {percentile(values, 0.5) * 1000:.1f} / p99 {percentile(values, 0.99) * 1000:.1f} ms"
                     for kind, values in sorted(kinds.items()))


def diagnose(run: Run, slowest: int = 5, top: int = 16) -> None:
    """Where a migration's time went (phases from the sampled activity) and what the load saw during each."""
    print(f"    {by_kind(run)}")
    if not run.timeline:
        return
    times = [t for t, _ in run.timeline]
    seconds: dict[str, float] = {}
    for (t, phases), (t_next, _) in zip(run.timeline, run.timeline[1:], strict=False):
        for name in phases:
            seconds[name] = seconds.get(name, 0.0) + (t_next - t)
    during: dict[str, list[float]] = {}
    for due, latency, _kind in run.load.samples:
        at = bisect.bisect_right(times, due) - 1
        for name in run.timeline[at][1] if at >= 0 else ():
            during.setdefault(name, []).append(latency)
    print(f"    longest {top} phases of {run.variant} (seconds; load p99 / longest latency while each ran):")
    for name, spent in sorted(seconds.items(), key=lambda item: -item[1])[:top]:
        lat = during.get(name, [])
        p99 = percentile(lat, 0.99)
        print(f"      {spent:7.2f} s  p99 {p99:6.3f}  max {max(lat, default=0.0):6.3f}  {name}")
    print(f"    {slowest} slowest transactions (due at s after the migration started):")
    for due, latency, kind in sorted(run.load.samples, key=lambda s: -s[1])[:slowest]:
        at = bisect.bisect_right(times, due) - 1
        active = ", ".join(run.timeline[at][1]) if at >= 0 else ""
        print(f"      {latency:6.3f} s {kind:<6} at {due - run.started:7.2f}: {active or '-'}")


def report(runs: list[Run]) -> None:
    header = (f"{'variant':<24} {'wall s':>7} " + " ".join(f"{'AE ' + t:>12}" for t in TABLES)
              + f" {'max lat s':>9} {'p99 s':>7} {'done':>6} {'failed':>6}  end state")
    print("\n" + header)
    for run in runs:
        print(row(run))
    # Each migration against the baseline of its own round (measured just before it, on a clone of the same
    # template): the machine's state drifts between rounds. With --bracket, against the baseline measured after
    # the round's migrations too: the two baselines' ratio (an A/A control) is the drift within the round.
    rounds: list[list[Run]] = []
    for run in runs:
        if run.variant == BEFORE or not rounds:
            rounds.append([])
        rounds[-1].append(run)
    for members in rounds:
        baselines = [run for run in members if run.variant in (BEFORE, AFTER) and run.percentile(0.99) > 0]
        if not baselines:
            continue
        print("\nbaseline" + (" before / after" if len(baselines) == 2 else "")
              + ": longest latency " + " / ".join(f"{run.longest:.3f}" for run in baselines)
              + " s, p99 " + " / ".join(f"{run.percentile(0.99):.3f}" for run in baselines) + " s"
              + (f" (A/A p99 ratio x{baselines[1].percentile(0.99) / baselines[0].percentile(0.99):.2f})"
                 if len(baselines) == 2 else ""))
        if any(run.steal is not None for run in members):
            print("CPU steal (the hypervisor's other guests): " + ", ".join(
                f"{run.variant} {run.steal:.0%}" for run in members if run.steal is not None))
        plain: Run | None = None
        for run in members:
            if run.variant in (BEFORE, AFTER):
                continue
            _compare(run, baselines, plain)
            if run.variant == "apply":
                plain = run
    for run in runs:
        for error, count in sorted(run.load.errors.items()):
            print(f"{run.variant}: {count} x {error}")


def _compare(run: Run, baselines: list[Run], plain: Run | None) -> None:
    """One migration's ratios to its round's baseline(s) (and its wall time to the plain apply's)."""

    def ratios(value: float, reference: Callable[[Run], float]) -> str:
        return " / ".join(f"x{value / reference(baseline):.2f}" for baseline in baselines)

    wall = f", wall x{run.wall_s / plain.wall_s:.2f} plain apply's" if plain and run is not plain else ""
    print(f"{run.variant:<24} longest latency {ratios(run.longest, lambda b: b.longest)}, p99 "
          f"{ratios(run.percentile(0.99), lambda b: b.percentile(0.99))}{wall}")
    if run.control and all(baseline.control for baseline in baselines):
        # The migrated database's own share: its p99 over the control's in the same window, against the same
        # quotient in the baseline window(s) (which is 1 up to the two loads' own noise).
        own = run.percentile(0.99) / percentile(run.control, 0.99)
        print(f"{'':<24} control (untouched clone, same window): p99 {percentile(run.control, 0.99):.3f} s, "
              f"{ratios(percentile(run.control, 0.99), lambda b: percentile(b.control, 0.99))} its baseline's; "
              f"migrated / control p99 x{own:.2f}, in the baseline window(s) "
              + " / ".join(f"x{b.percentile(0.99) / percentile(b.control, 0.99):.2f}" for b in baselines))
    steady = [latency for _due, latency, kind in run.load.samples if not kind.endswith("after reconnect")]
    if len(steady) < len(run.load.latencies):
        print(f"{'':<24} without the {len(run.load.latencies) - len(steady)} transaction(s) that reconnected "
              f"after a failure: longest latency {ratios(max(steady, default=0.0), lambda b: b.longest)}, p99 "
              f"{ratios(percentile(steady, 0.99), lambda b: b.percentile(0.99))}")


if __name__ == "__main__":
    main()
