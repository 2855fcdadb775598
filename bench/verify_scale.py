"""Does verify stay cheap on a big catalog? Round trips and wall time, small vs. +2,000 unrelated tables.

    .venv/bin/python bench/verify_scale.py [--extra-tables 2000] [--repeat 7] [--output FILE]

Copy the printed table into bench/RESULTS.md.

1. A throwaway PostgreSQL (``BHQ_BENCH_DATABASE_URL`` if set, else a local embedded cluster) gets the
   pre-fix BreederHQ schema with sample data, and ``apply`` migrates it (plans 001, 002).
2. ``verify`` runs ``--repeat`` times; the median wall time and the round-trip count are recorded.
3. ``--extra-tables`` unrelated tables are added (schema ``extra``), each with a primary key, a unique
   constraint, a self-referencing foreign key (indexed), two CHECKs, a defaulted column and two more indexes
   (one partial, one DESC), so the catalog holds tens of thousands of rows more. Step 2 runs again.

Targets (issue 3): the round-trip count does not change; the large run stays under 2x the small one.
Wall time is the whole library call: load plans and checks, connect, read the snapshot, evaluate, audit.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bhq_migrate.baseline.loader import SampleSize, load_baseline, load_sample_data  # noqa: E402
from bhq_migrate.connection import with_dbname  # noqa: E402
from bhq_migrate.migrate.runner import ApplyOptions, apply  # noqa: E402
from bhq_migrate.verify import VerifyOptions, VerifyReport, verify  # noqa: E402
from bhq_migrate.verify.snapshot import capture  # noqa: E402

BENCH_DB = "bhq_bench_verify"


@contextlib.contextmanager
def server() -> Iterator[str]:
    """An admin URL: the one given, or a throwaway embedded cluster."""
    given = os.environ.get("BHQ_BENCH_DATABASE_URL")
    if given:
        yield given
        return
    from bhq_migrate.embedded import EmbeddedPostgres

    with EmbeddedPostgres() as embedded:
        yield embedded.url


def url_for(admin_url: str, dbname: str) -> str:
    return with_dbname(admin_url, dbname)


def extra_table_sql(n: int) -> str:
    return f"""
        CREATE TABLE extra.t{n} (
            id bigserial PRIMARY KEY,
            parent_id bigint REFERENCES extra.t{n} (id) ON DELETE SET NULL,
            code text NOT NULL UNIQUE,
            status text NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'done')),
            amount_cents bigint NOT NULL DEFAULT 0 CHECK (amount_cents >= 0),
            created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX t{n}_parent_idx ON extra.t{n} (parent_id);
        CREATE INDEX t{n}_status_created_idx ON extra.t{n} (status, created_at DESC) WHERE status = 'new';
    """


def add_extra_tables(url: str, count: int) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA extra")
        batch = 25  # one implicit transaction per batch: stays within max_locks_per_transaction
        for start in range(0, count, batch):
            conn.execute("".join(extra_table_sql(n) for n in range(start, min(start + batch, count))))  # type: ignore[arg-type]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def measure(url: str, repeat: int) -> tuple[float, list[float], VerifyReport]:
    options = VerifyOptions(plans_dir=REPO / "sql", checks_dir=REPO / "checks")
    verify(url, options)  # warm-up: file caches, the server's catalog caches
    times: list[float] = []
    report: VerifyReport | None = None
    for _ in range(repeat):
        started = time.perf_counter()
        report = verify(url, options)
        times.append((time.perf_counter() - started) * 1000)
    assert report is not None
    return statistics.median(times), times, report


def catalog_size(url: str) -> str:
    snapshot = capture(url)
    columns = sum(len(table.columns) for table in snapshot.tables.values())
    return (f"{len(snapshot.tables):,} tables, {columns:,} columns, {len(snapshot.indexes):,} indexes, "
            f"{len(snapshot.constraints):,} constraints")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--extra-tables", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--output", type=Path, default=None, help="also write the Markdown table here")
    args = parser.parse_args()

    with server() as admin_url:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
            conn.execute(f"CREATE DATABASE {BENCH_DB}")
        url = url_for(admin_url, BENCH_DB)
        with psycopg.connect(url) as conn:
            load_baseline(conn)
            load_sample_data(conn, SampleSize.scaled(10_000))
        apply(url, ApplyOptions(plans_dir=REPO / "sql"))

        small_size = catalog_size(url)
        small_ms, small_times, small = measure(url, args.repeat)
        add_extra_tables(url, args.extra_tables)
        large_size = catalog_size(url)
        large_ms, large_times, large = measure(url, args.repeat)
        with psycopg.connect(url) as conn:
            version = conn.execute("SHOW server_version").fetchone()

    ratio = large_ms / small_ms
    lines = [
        "| database | catalog | checks + audits | round trips | verify wall time (median) | runs (ms) |",
        "|---|---|---|---|---|---|",
        f"| migrated (001+002) | {small_size} | {len(small.results)} | {small.round_trips} | {small_ms:.0f} ms | "
        f"{', '.join(f'{t:.0f}' for t in small_times)} |",
        f"| + {args.extra_tables:,} unrelated tables | {large_size} | {len(large.results)} | {large.round_trips} | "
        f"{large_ms:.0f} ms | {', '.join(f'{t:.0f}' for t in large_times)} |",
        "",
        f"- round trips constant: **{'yes' if small.round_trips == large.round_trips else 'NO'}** "
        f"({small.round_trips} both times)",
        f"- large / small wall time: **{ratio:.2f}x** (target < 2x: {'met' if ratio < 2 else 'NOT met'})",
        f"- both runs pass: small {small.counts.failed} failed, large {large.counts.failed} failed",
        f"- PostgreSQL {version[0] if version else '?'}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, {platform.platform()}",
    ]
    text = "\n".join(lines)
    print(text)
    if args.output:
        args.output.write_text(
            "# verify at scale\n\nCommand: `.venv/bin/python bench/verify_scale.py "
            f"--extra-tables {args.extra_tables} --repeat {args.repeat} --output {args.output}`\n\n{text}\n",
            encoding="utf-8",
        )
    return 0 if small.round_trips == large.round_trips and ratio < 2 else 1


if __name__ == "__main__":
    raise SystemExit(main())
