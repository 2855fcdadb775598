"""What does plan 004 (row-level security) cost the application? Tenant reads and writes, with and without it.

    .venv/bin/python bench/isolation.py [--invoices 200000] [--requests 400] [--rounds 5] [--with-fn]

Copy the printed block into bench/RESULTS.md.

1. A throwaway PostgreSQL (``BHQ_BENCH_DATABASE_URL`` if set, else a local embedded cluster) gets the pre-fix
   schema with ``SampleSize.scaled(invoices)`` rows and plans 001+002; four copies of it: ``plain`` and
   ``plain_b`` (as is: ``plain_b`` is the A/A control, whose ratio to ``plain`` is the noise floor of the
   run), ``keys`` (plan 004 applied, then row-level security disabled: its extra unique indexes and
   same-tenant keys alone, which writes pay for) and ``rls`` (plan 004 applied). With ``--with-fn``,
   ``rls_fn`` is ``rls`` with the policies calling ``public.current_tenant_id()`` instead of spelling out its
   expression (what 004 avoids: a function with a ``SET search_path`` clause is never inlined). All get the
   same application role: DML grants, not an owner, no BYPASSRLS.
2. Each request runs as that role, exactly as the Prisma extension sends it: BEGIN; set_config('app.tenant_id',
   t, true); the query; COMMIT. The queries name the tenant themselves, as the application does today; under RLS
   the policy adds its own condition. Timed client-side (psycopg's prepared statements after five runs, as in
   production), twice: the query alone, and the whole request (``request:`` rows: BEGIN with set_config, the
   query, COMMIT), which is what the application waits for.
3. Each request runs on every database back to back, in a shuffled order, so a busy machine slows all alike.
   Connections are opened afresh (and warmed up, untimed) every ``--reconnect-every`` requests, so one backend
   that the scheduler treats badly does not weigh on a whole round. Per operation: p50 and p99 of each variant
   and their ratio to ``plain``, and the median of the per-request paired ratios (each request's time on the
   variant over its time on ``plain``, measured back to back); the reported figures are medians over rounds.
4. EXPLAIN (as the role, tenant set) of each read on ``rls``: the tenant indexes are still used.

Target (issue 13): RLS latency <= 1.10x the latency without it.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from verify_scale import server, url_for  # noqa: E402

from bhq_migrate.baseline.loader import SampleSize, load_baseline, load_sample_data  # noqa: E402
from bhq_migrate.migrate.runner import ApplyOptions, apply  # noqa: E402

APP_ROLE = "bhq_bench_app"
DATABASES = ("bhq_bench_iso_source", "bhq_bench_iso_plain", "bhq_bench_iso_plain_b", "bhq_bench_iso_keys",
             "bhq_bench_iso_rls", "bhq_bench_iso_rls_fn")
PLANS = REPO / "sql"

# operation -> (SQL, parameter builder from (tenant, invoice id of that tenant, random))
Operation = tuple[str, Callable[[int, int, random.Random], tuple[Any, ...]]]
OPERATIONS: dict[str, Operation] = {
    "read: invoice list": (
        'SELECT id, "invoiceNumber", status, "amountCents" FROM "Invoice" WHERE "tenantId" = %s AND status = %s '
        'ORDER BY "createdAt" DESC LIMIT 50',
        lambda t, i, r: (t, r.choice(["draft", "sent", "paid", "void"]))),
    "read: invoice by id": (
        'SELECT * FROM "Invoice" WHERE "tenantId" = %s AND id = %s', lambda t, i, r: (t, i)),
    "read: invoice payments": (
        'SELECT p.id, p."amountCents" FROM "Payment" p JOIN "Invoice" i ON i.id = p."invoiceId" '
        'WHERE i."tenantId" = %s AND i.id = %s', lambda t, i, r: (t, i)),
    "write: insert payment": (
        'INSERT INTO "Payment" ("tenantId", "invoiceId", "amountCents", status, "updatedAt") '
        "VALUES (%s, %s, 100, 'pending', now())", lambda t, i, r: (t, i)),
    "write: update invoice": (
        'UPDATE "Invoice" SET status = %s, "updatedAt" = now() WHERE "tenantId" = %s AND id = %s',
        lambda t, i, r: (r.choice(["sent", "paid"]), t, i)),
}


REQUEST = "request: "
MEASURES = [*OPERATIONS, *(REQUEST + name for name in OPERATIONS)]
"""Each operation timed twice: the statement alone, and the whole request as the Prisma extension sends it
(BEGIN with set_config, the statement, COMMIT), which is what the application waits for."""


def load_average() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def prepare(admin: str, invoices: int, with_fn: bool) -> dict[str, str]:
    with psycopg.connect(admin, autocommit=True) as conn:
        for name in DATABASES:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (APP_ROLE,)).fetchone():
            conn.execute(f"CREATE ROLE {APP_ROLE} NOLOGIN")
        conn.execute("CREATE DATABASE bhq_bench_iso_source")
    source = url_for(admin, "bhq_bench_iso_source")
    with psycopg.connect(source) as conn:
        load_baseline(conn)
        load_sample_data(conn, SampleSize.scaled(invoices))
    apply(source, ApplyOptions(plans_dir=PLANS))
    with psycopg.connect(source, autocommit=True) as conn:
        conn.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE}")
        conn.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}")
        conn.execute("VACUUM ANALYZE")
    with psycopg.connect(admin, autocommit=True) as conn:
        # Every variant is a copy of the same source, so none starts with pages or hint bits the others lack
        # (a first run measured the loaded database itself against copies: its A/A control was 2-4 % off).
        for name in ("plain", "plain_b", "keys", "rls"):
            conn.execute(f"CREATE DATABASE bhq_bench_iso_{name} TEMPLATE bhq_bench_iso_source")
    plain = url_for(admin, "bhq_bench_iso_plain")
    variants = {"plain": plain, "plain_b": url_for(admin, "bhq_bench_iso_plain_b")}
    rls = variants["rls"] = url_for(admin, "bhq_bench_iso_rls")
    apply(rls, ApplyOptions(plans_dir=PLANS, only=("004",)))
    keys = variants["keys"] = url_for(admin, "bhq_bench_iso_keys")
    apply(keys, ApplyOptions(plans_dir=PLANS, only=("004",)))
    with psycopg.connect(keys, autocommit=True) as conn:  # 004's indexes and keys, row-level security off
        for (table,) in conn.execute("SELECT oid::regclass::text FROM pg_class WHERE relrowsecurity").fetchall():
            conn.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY, "
                         "DISABLE ROW LEVEL SECURITY")
    if with_fn:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("CREATE DATABASE bhq_bench_iso_rls_fn TEMPLATE bhq_bench_iso_rls")
        rls_fn = variants["rls_fn"] = url_for(admin, "bhq_bench_iso_rls_fn")
        with psycopg.connect(rls_fn, autocommit=True) as conn:
            for (table,) in conn.execute("SELECT polrelid::regclass::text FROM pg_policy "
                                         "WHERE polname = 'tenant_isolation'").fetchall():
                conn.execute(f'ALTER POLICY tenant_isolation ON {table} '
                             'USING ("tenantId" = public.current_tenant_id()) '
                             'WITH CHECK ("tenantId" = public.current_tenant_id())')
    for url in variants.values():  # the same statistics for every planner
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute('VACUUM ANALYZE "Invoice", "Payment", "Contact"')
    return variants


def invoices_by_tenant(url: str) -> dict[int, list[int]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute('SELECT "tenantId", array_agg(id) FROM "Invoice" GROUP BY 1').fetchall()
    return {tenant: ids for tenant, ids in rows}


def connect(variants: dict[str, str], targets: dict[int, list[int]]) -> dict[str, psycopg.Connection[Any]]:
    """Fresh connections as the app role, each warmed up (every operation six times, so psycopg has prepared
    it and the server has chosen its plan), in a transaction rolled back: nothing of it is timed or kept."""
    conns = {variant: psycopg.connect(url) for variant, url in variants.items()}
    tenant = sorted(targets)[0]
    rng = random.Random(0)
    for conn in conns.values():
        conn.execute(f"SET ROLE {APP_ROLE}")
        conn.commit()
        conn.execute("SELECT set_config('app.tenant_id', %s, true)", (str(tenant),))
        for _ in range(6):
            for statement, params in OPERATIONS.values():
                conn.execute(statement, params(tenant, targets[tenant][0], rng))
        conn.rollback()
    return conns


def run_round(variants: dict[str, str], requests: int, targets: dict[int, list[int]], seed: int,
              reconnect_every: int) -> tuple[dict[str, dict[str, list[float]]], dict[str, dict[str, list[float]]]]:
    """Every request runs on every variant back to back, in a shuffled order: on a busy machine each pair of
    samples sees the same load (blocks of requests per variant were dominated by load swings).
    Returns the timings (ms) and the paired ratios to plain, per variant and operation."""
    rng = random.Random(seed)
    tenants = sorted(targets)
    timings: dict[str, dict[str, list[float]]] = {v: {name: [] for name in MEASURES} for v in variants}
    paired: dict[str, dict[str, list[float]]] = {v: {name: [] for name in MEASURES} for v in variants}
    conns: dict[str, psycopg.Connection[Any]] = {}
    order = list(variants)
    try:
        for request in range(requests):
            if request % reconnect_every == 0:
                for conn in conns.values():
                    conn.close()
                conns = connect(variants, targets)
            for name, (statement, params) in OPERATIONS.items():
                tenant = rng.choice(tenants)
                invoice = rng.choice(targets[tenant])
                values = params(tenant, invoice, rng)
                rng.shuffle(order)
                taken: dict[str, float] = {}
                whole: dict[str, float] = {}
                for variant in order:
                    conn = conns[variant]
                    began = time.perf_counter()
                    conn.execute("SELECT set_config('app.tenant_id', %s, true)", (str(tenant),))  # BEGIN too
                    started = time.perf_counter()
                    conn.execute(statement, values)
                    taken[variant] = (time.perf_counter() - started) * 1000
                    conn.commit()
                    whole[variant] = (time.perf_counter() - began) * 1000
                for variant, ms in taken.items():
                    timings[variant][name].append(ms)
                    paired[variant][name].append(ms / taken["plain"])
                    timings[variant][REQUEST + name].append(whole[variant])
                    paired[variant][REQUEST + name].append(whole[variant] / whole["plain"])
    finally:
        for conn in conns.values():
            conn.close()
    return timings, paired


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def explain(url: str, tenant: int, invoice: int) -> list[str]:
    lines: list[str] = []
    rng = random.Random(0)
    with psycopg.connect(url) as conn:
        conn.execute(f"SET ROLE {APP_ROLE}")
        conn.execute("SELECT set_config('app.tenant_id', %s, true)", (str(tenant),))
        for name, (statement, params) in OPERATIONS.items():
            if not name.startswith("read"):
                continue
            plan = conn.execute("EXPLAIN (COSTS OFF) " + statement, params(tenant, invoice, rng)).fetchall()
            lines.append(f"-- {name}")
            lines.extend(row[0] for row in plan)
        conn.rollback()
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=400, help="requests per operation per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--reconnect-every", type=int, default=50, help="requests per set of connections")
    parser.add_argument("--with-fn", action="store_true", help="also rls_fn (policies calling the function)")
    args = parser.parse_args()
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; before: {load_average()}")
    with server() as admin:
        variants = prepare(admin, args.invoices, args.with_fn)
        targets = invoices_by_tenant(variants["plain"])
        run_round(variants, 50, targets, seed=999, reconnect_every=50)  # warm every cache before measuring
        ratios: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
        print(f"{'round':<6}{'operation':<35}{'variant':<8}{'p50 ms':>9}{'p99 ms':>9}{'x p50':>8}{'x p99':>8}"
              f"{'x pair':>8}")
        for number in range(1, args.rounds + 1):
            measured, paired = run_round(variants, args.requests, targets, seed=number,
                                         reconnect_every=args.reconnect_every)
            for name in MEASURES:
                base = measured["plain"][name]
                for variant, by_operation in measured.items():
                    timings = by_operation[name]
                    p50, p99 = percentile(timings, 0.5), percentile(timings, 0.99)
                    x50, x99 = p50 / percentile(base, 0.5), p99 / percentile(base, 0.99)
                    pair = statistics.median(paired[variant][name])
                    ratios.setdefault((name, variant), []).append((x50, x99, pair))
                    print(f"{number:<6}{name:<35}{variant:<8}{p50:>9.3f}{p99:>9.3f}{x50:>8.2f}{x99:>8.2f}"
                          f"{pair:>8.2f}")
        print("\nmedian over rounds of the ratio to plain (target for rls: <= 1.10; plain_b is the A/A noise floor):")
        for (name, variant), values in sorted(ratios.items(), key=lambda item: (item[0][0], item[0][1])):
            if variant != "plain":
                print(f"  {name:<35} {variant:<8} p50 x{statistics.median(v[0] for v in values):.2f}  "
                      f"p99 x{statistics.median(v[1] for v in values):.2f}  "
                      f"paired x{statistics.median(v[2] for v in values):.2f}")
        print("\nrls against keys (row-level security alone; p50 ratio of the medians over rounds):")
        for name in MEASURES:
            rls_x = statistics.median(v[0] for v in ratios[(name, "rls")])
            keys_x = statistics.median(v[0] for v in ratios[(name, "keys")])
            print(f"  {name:<35} p50 x{rls_x / keys_x:.2f}")
        tenant = sorted(targets)[0]
        print("\nEXPLAIN as the app role with the tenant set, on the rls database:")
        print("\n".join(explain(variants["rls"], tenant, targets[tenant][0])))
        with psycopg.connect(admin, autocommit=True) as conn:
            for name in DATABASES:
                conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    print(f"# after: {load_average()}")


if __name__ == "__main__":
    main()
