"""`apply --online` cancels a (non-wraparound) autovacuum that stands in the way of a step, against a real worker.

An autovacuum gives way by itself only to a lock request that has waited ``deadlock_timeout``; an online catalog
step's ``lock_timeout`` is shorter, and while it waits every query on the table queues behind it. So apply
cancels the worker: before the step when it is already there, and before a retry when it arrived after that.

These tests need a real autovacuum worker on a known table at a known moment, so they own a throwaway cluster
(cluster-wide settings are changed on it, never on the suite's shared server):

* ``autovacuum_naptime = 1s``, so a worker comes for the table within seconds of being allowed to;
* ``deadlock_timeout = 10min``, so PostgreSQL never cancels the worker itself: when it goes, apply cancelled it;
* the table's storage parameters make the worker crawl (cost limit 1, cost delay 100 ms, so minutes for the
  table) and make it due at once (thresholds 0) as soon as ``autovacuum_enabled`` turns it on.

Every wait is for an event (the worker shows up in ``pg_stat_activity`` holding its lock), bounded generously.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from bhq_migrate.embedded import EmbeddedPostgres
from bhq_migrate.migrate import checkpoints
from bhq_migrate.migrate.runner import ApplyOptions, Event, apply
from tests.helpers import wait_for_query

WAIT = 180.0  # generous: the launcher wakes every second, but a busy 2-core CI box can be slow to fork a worker
ROWS = 100_000
PLAN = """-- description: a catalog-only step on a table autovacuum is working on
-- transactional: true

ALTER TABLE "Ledger" ADD COLUMN IF NOT EXISTS "note" text;
"""


@pytest.fixture(scope="module")
def cluster() -> Iterator[EmbeddedPostgres]:
    with EmbeddedPostgres() as server:
        with psycopg.connect(server.url, autocommit=True) as conn:
            conn.execute("ALTER SYSTEM SET autovacuum_naptime = '1s'")
            conn.execute("ALTER SYSTEM SET deadlock_timeout = '10min'")
            conn.execute("SELECT pg_reload_conf()")
        try:
            yield server
        finally:
            with psycopg.connect(server.url, autocommit=True) as conn:
                conn.execute("ALTER SYSTEM RESET autovacuum_naptime")
                conn.execute("ALTER SYSTEM RESET deadlock_timeout")
                conn.execute("SELECT pg_reload_conf()")


@pytest.fixture
def ledger(cluster: EmbeddedPostgres, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A database with a table full of dead rows that autovacuum may not touch yet, and a plan altering it."""
    name = f"autovac_{time.monotonic_ns()}"
    with psycopg.connect(cluster.url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = cluster.url_for(name)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute('CREATE TABLE "Ledger" (id int PRIMARY KEY, amount int NOT NULL) WITH ('
                     "autovacuum_enabled = false, autovacuum_vacuum_cost_limit = 1, "
                     "autovacuum_vacuum_cost_delay = 100, autovacuum_vacuum_threshold = 0, "
                     "autovacuum_vacuum_scale_factor = 0, autovacuum_analyze_threshold = 2000000000)")
        conn.execute('INSERT INTO "Ledger" SELECT n, n FROM generate_series(1, %s) AS n', (ROWS,))
        conn.execute('DELETE FROM "Ledger" WHERE id % 2 = 0')  # dead rows: the worker has work on every page
    plans = tmp_path / "plans"
    plans.mkdir()
    (plans / "001_ledger_note.sql").write_text(PLAN, encoding="utf-8")
    try:
        yield url, plans
    finally:
        with psycopg.connect(cluster.url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def let_autovacuum_in(url: str) -> int:
    """Allow autovacuum on "Ledger" and wait until a worker is vacuuming it, holding its lock; its pid."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute('ALTER TABLE "Ledger" SET (autovacuum_enabled = true)')
    pid = wait_for_query(url, """
        SELECT a.pid FROM pg_stat_activity AS a JOIN pg_locks AS l ON l.pid = a.pid
        WHERE a.backend_type = 'autovacuum worker' AND a.query LIKE 'autovacuum: VACUUM%Ledger%'
          AND l.locktype = 'relation' AND l.relation = '"Ledger"'::regclass AND l.granted""", bound_s=WAIT)
    if pid is None:
        raise AssertionError(f'no autovacuum worker came for "Ledger" within {WAIT:g} s')
    return int(pid)


def vacuuming_ledger(url: str, pid: int) -> bool:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute("SELECT EXISTS (SELECT FROM pg_stat_activity WHERE pid = %s AND query LIKE "
                            "'autovacuum: VACUUM%%Ledger%%')", (pid,)).fetchone() == (True,)


def has_note(url: str) -> bool:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute("SELECT EXISTS (SELECT FROM pg_attribute WHERE attrelid = '\"Ledger\"'::regclass "
                            "AND attname = 'note' AND NOT attisdropped)").fetchone() == (True,)


def options(plans: Path) -> ApplyOptions:
    return ApplyOptions(plans_dir=plans, online=True, lint=False, retry_backoff=0.1)


def test_an_autovacuum_already_on_the_table_is_cancelled_before_the_step(ledger: tuple[str, Path]) -> None:
    url, plans = ledger
    worker = let_autovacuum_in(url)
    events: list[Event] = []

    result = apply(url, options(plans), events.append)

    assert [o.status for o in result.outcomes] == ["applied"]
    assert has_note(url)
    cancelled = [e.text for e in events if e.kind == "warning" and "autovacuum in the way" in e.text]
    assert len(cancelled) == 1 and "cancelled autovacuum: VACUUM" in cancelled[0]
    assert f"(pid {worker})" in cancelled[0]
    assert not [e for e in events if e.kind == "retry"]  # it never had to wait for the worker's lock
    assert not vacuuming_ledger(url, worker)


def test_an_autovacuum_arriving_after_the_check_is_cancelled_before_the_retry(
    ledger: tuple[str, Path],
) -> None:
    url, plans = ledger
    workers: list[int] = []

    def arrive(label: str) -> None:
        # After apply looked for autovacuum on the step's table, before the step asks for its lock.
        if label == "001/1 way cleared" and not workers:
            workers.append(let_autovacuum_in(url))

    events: list[Event] = []
    checkpoints.hook = arrive
    try:
        result = apply(url, options(plans), events.append)
    finally:
        checkpoints.hook = None

    assert [o.status for o in result.outcomes] == ["applied"]
    assert has_note(url) and len(workers) == 1
    kinds = [(e.kind, e.text) for e in events if e.kind == "retry" or "autovacuum in the way" in e.text]
    # The first attempt waited lock_timeout behind the worker, which was then cancelled, and the retry got the lock.
    assert kinds[0][0] == "retry" and "lock timeout" in kinds[0][1]
    assert kinds[1][0] == "warning" and f"(pid {workers[0]})" in kinds[1][1] and "cancelled" in kinds[1][1]
    assert len([k for k, _ in kinds if k == "retry"]) == 1
    assert not vacuuming_ledger(url, workers[0])
