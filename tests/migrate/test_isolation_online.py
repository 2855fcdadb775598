"""Plan 004 under ``apply --online``: the tool sees every statement, builds the same-tenant unique indexes
CONCURRENTLY while writes go on, adds the composite keys NOT VALID and validates them in their own steps, and
ends in the same state as the plain apply (which the isolation tests and audits check).

The lock a build holds is read from ``pg_locks`` while it waits for an older writer, the way
tests/migrate/test_online_apply.py does it: a build under SHARE could not wait there (its lock request would
queue behind the writer instead), so the test fails if the index is not built concurrently.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from bhq_migrate.errors import PlanFailed
from bhq_migrate.migrate.runner import ApplyOptions, apply
from bhq_migrate.migrate.steps import Step
from bhq_migrate.verify import Status, VerifyOptions, verify
from tests.conftest import APP_ROLE, CHECKS_DIR, PLANS_DIR, create_app_role
from tests.helpers import granted_modes, query, scalar, schema_fingerprint

WAIT = 120.0  # generous bound for polling pg_locks on a busy 2-core machine; never a sequencing delay
TWINS = ("Invoice_tenantId_clientPartyId_fkey", "Payment_tenantId_invoiceId_fkey")
POLICIES = ("SELECT polrelid::regclass::text, polname::text, polcmd::text, polpermissive, "
            "pg_get_expr(polqual, polrelid), pg_get_expr(polwithcheck, polrelid) FROM pg_policy ORDER BY 1, 2")
RLS_FLAGS = "SELECT relname::text, relrowsecurity, relforcerowsecurity FROM pg_class WHERE relrowsecurity ORDER BY 1"


def online_004(**extra: Any) -> ApplyOptions:
    return ApplyOptions(plans_dir=PLANS_DIR, only=("004",), online=True, **extra)


def user_schema(url: str) -> list[tuple[Any, ...]]:
    """The schema fingerprint without the tool's own schema (online progress lives there)."""
    return [row for row in schema_fingerprint(url) if "bhq_migrate" not in str(row[1])]


def planned_steps(url: str) -> list[Step]:
    result = apply(url, online_004(dry_run=True))
    assert [plan.plan for plan in result.steps] == ["004"]
    return result.steps[0].steps


def test_every_statement_of_004_is_seen_and_made_non_blocking(migrated_db: str) -> None:
    steps = planned_steps(migrated_db)
    assert [step.summary() for step in steps if step.blocking] == []
    indexes = [(step.table, step.index_name, step.unique) for step in steps if step.kind == "index"]
    assert indexes == [('"Contact"', "Contact_tenantId_id_key", True), ('"Invoice"', "Invoice_tenantId_id_key", True)]
    assert all(step.sql[0].startswith("CREATE UNIQUE INDEX CONCURRENTLY") for step in steps if step.kind == "index")
    adds = [text for step in steps if step.kind == "catalog" for text in step.sql if "ADD CONSTRAINT" in text]
    assert len(adds) == 2 and all("NOT VALID" in text for text in adds), adds
    validated = [step for step in steps if step.kind == "validate"]
    assert [[name for name in TWINS if name in step.sql[0]] for step in validated] == [[name] for name in TWINS]
    # Each key is added after the index it needs, and validated after it is added.
    order = [step.index_name or next((n for n in TWINS if n in " ".join(step.sql)), step.kind) for step in steps]
    assert order.index("Contact_tenantId_id_key") < order.index(TWINS[0])
    assert order.index("Invoice_tenantId_id_key") < order.index(TWINS[1])


def test_online_004_builds_concurrently_while_writes_go_on_and_ends_as_the_plain_apply(
    migrated_db: str, isolated_db: str, hooked: list[Callable[[str], None]]
) -> None:
    create_app_role(migrated_db)
    by_number = {step.number: step for step in planned_steps(migrated_db)}
    build_locks: dict[str, set[str]] = {}
    writes_during_build: dict[str, int] = {}
    validate_locks: dict[str, set[str]] = {}
    watchers: list[threading.Thread] = []

    def step_of(label: str) -> Step | None:
        return by_number.get(int(label.split("/")[1].split()[0])) if label.startswith("004/") else None

    def during_build(label: str) -> None:
        """Keep an older writer open so the build must wait; meanwhile read its locks and write to the table."""
        step = step_of(label)
        if step is None or step.kind != "index" or not label.endswith("before build"):
            return
        table = step.table_name
        older = psycopg.connect(migrated_db)
        older.execute(f'LOCK TABLE public."{table}" IN ROW EXCLUSIVE MODE')  # type: ignore[arg-type]

        def watch() -> None:
            try:
                deadline = time.monotonic() + WAIT
                builder = None
                while builder is None and time.monotonic() < deadline:
                    builder = scalar(migrated_db, """
                        SELECT l.pid FROM pg_locks AS l JOIN pg_stat_activity AS a ON a.pid = l.pid
                        WHERE NOT l.granted AND l.locktype IN ('virtualxid', 'transactionid')
                          AND a.datname = current_database() AND a.query ILIKE 'CREATE UNIQUE INDEX%'""")
                if builder is None:
                    return
                build_locks[table] = granted_modes(migrated_db, table, builder)
                with psycopg.connect(migrated_db, autocommit=True) as writer:
                    writer.execute("SET lock_timeout = '60s'")  # a SHARE build would hold this UPDATE back
                    writes_during_build[table] = writer.execute(
                        f'UPDATE public."{table}" SET "updatedAt" = "updatedAt" '  # type: ignore[arg-type]
                        f'WHERE id = (SELECT min(id) FROM public."{table}")').rowcount
            finally:
                older.rollback()
                older.close()

        watcher = threading.Thread(target=watch, daemon=True)
        watchers.append(watcher)
        watcher.start()

    def during_validate(label: str) -> None:
        step = step_of(label)
        if step is None or step.kind != "validate" or not label.endswith("before commit"):
            return
        # Only the apply's connection is in the database now: its transaction is about to commit.
        validate_locks[step.table_name] = granted_modes(migrated_db, step.table_name)

    hooked.extend([during_build, during_validate])
    result = apply(migrated_db, online_004())
    for watcher in watchers:
        watcher.join(WAIT)

    assert [outcome.status for outcome in result.outcomes] == ["applied"]
    assert build_locks == {"Contact": {"ShareUpdateExclusiveLock"}, "Invoice": {"ShareUpdateExclusiveLock"}}
    assert writes_during_build == {"Contact": 1, "Invoice": 1}
    # Validation holds SHARE UPDATE EXCLUSIVE on the referencing table (and reads it): no lock that blocks writers.
    reading = {"AccessShareLock", "ShareUpdateExclusiveLock"}
    assert validate_locks == {"Invoice": reading, "Payment": reading}

    # The same end state as the plain apply: columns, indexes, constraints (all valid), policies, RLS flags.
    assert user_schema(migrated_db) == user_schema(isolated_db)
    assert query(migrated_db, POLICIES) == query(isolated_db, POLICIES)
    assert query(migrated_db, RLS_FLAGS) == query(isolated_db, RLS_FLAGS)
    assert scalar(migrated_db, "SELECT count(*) FROM pg_constraint WHERE NOT convalidated") == 0
    assert scalar(migrated_db, "SELECT count(*) FROM pg_index WHERE NOT indisvalid") == 0
    assert query(migrated_db, "SELECT sha256 FROM bhq_migrate.history WHERE id = '004'") == query(
        isolated_db, "SELECT sha256 FROM bhq_migrate.history WHERE id = '004'")
    report = verify(migrated_db, VerifyOptions(plans_dir=PLANS_DIR, checks_dir=CHECKS_DIR, app_roles=(APP_ROLE,),
                                               probe_role=APP_ROLE, probe_writes=True))
    assert report.ok, [r.id for r in report.failures]
    probes = [r for r in report.results if r.id.startswith("probe/")]
    assert probes and all(r.status is Status.PASS for r in probes)


def test_an_invalid_leftover_of_a_failed_concurrent_build_is_refused_by_the_pre_flight(migrated_db: str) -> None:
    with psycopg.connect(migrated_db, autocommit=True) as conn, pytest.raises(psycopg.errors.UniqueViolation):
        # On "tenantId" alone: duplicates, so the build fails and leaves an INVALID index of the plan's name.
        conn.execute('CREATE UNIQUE INDEX CONCURRENTLY "Contact_tenantId_id_key" ON "Contact" ("tenantId")')
    before = schema_fingerprint(migrated_db)
    with pytest.raises(PlanFailed, match='index "Contact_tenantId_id_key" is INVALID'):
        apply(migrated_db, ApplyOptions(plans_dir=PLANS_DIR, only=("004",)))
    assert schema_fingerprint(migrated_db) == before
    assert scalar(migrated_db, "SELECT count(*) FROM pg_policy") == 0
