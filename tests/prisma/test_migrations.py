"""Prisma migration folders (export) and ``_prisma_migrations`` rows (apply --record-prisma)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg
import pytest

from bhq_migrate.errors import ConfigError
from bhq_migrate.migrate.runner import ApplyOptions, apply
from bhq_migrate.plans import load_plans
from bhq_migrate.prisma.migrations import (
    LOCK_FILENAME,
    ensure_prisma_migrations_table,
    export_plans,
    migration_sql,
    prisma_checksum,
    prisma_migration_name,
    record_prisma_migration,
)
from tests.conftest import PLANS_DIR

PLANS = load_plans(PLANS_DIR)
DEFAULT_PLANS = [plan for plan in PLANS if not plan.optional]


def _tree(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def test_migration_names_are_the_seed_date_plus_the_plan_id() -> None:
    assert [prisma_migration_name(plan) for plan in PLANS] == [
        "20260112000001_critical_production_fixes",
        "20260112000002_marketplace_schema",
        "20260112000003_hardening",
        "20260112000004_tenant_isolation",
    ]


def test_migration_names_sort_in_plan_order() -> None:
    names = [prisma_migration_name(plan) for plan in PLANS]
    assert names == sorted(names)


def test_export_writes_one_folder_per_plan_with_the_plan_text(tmp_path: Path) -> None:
    paths = export_plans(DEFAULT_PLANS, tmp_path)
    assert [p.parent.name for p in paths] == [prisma_migration_name(plan) for plan in DEFAULT_PLANS]
    for plan, path in zip(DEFAULT_PLANS, paths, strict=True):
        assert path.name == "migration.sql"
        assert path.read_bytes() == plan.path.read_bytes()


def test_exported_sql_is_the_sql_the_runner_executes() -> None:
    for plan in PLANS:
        text = migration_sql(plan)
        for statement in plan.statements:
            assert statement.sql in text


def test_export_is_deterministic(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    export_plans(DEFAULT_PLANS, first)
    export_plans(DEFAULT_PLANS, second)
    assert _tree(first) == _tree(second)


def test_re_export_changes_nothing_on_disk(tmp_path: Path) -> None:
    paths = export_plans(DEFAULT_PLANS, tmp_path)
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in paths}
    export_plans(DEFAULT_PLANS, tmp_path)
    assert {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in paths} == before


def test_export_writes_prismas_lock_file(tmp_path: Path) -> None:
    export_plans(DEFAULT_PLANS, tmp_path)
    assert 'provider = "postgresql"' in (tmp_path / LOCK_FILENAME).read_text()


def test_export_refuses_to_replace_a_changed_migration(tmp_path: Path) -> None:
    paths = export_plans(DEFAULT_PLANS, tmp_path)
    paths[0].write_text("-- edited by hand\n")
    with pytest.raises(ConfigError, match="modified after it was applied"):
        export_plans(DEFAULT_PLANS, tmp_path)
    assert paths[0].read_text() == "-- edited by hand\n"


def test_export_overwrite_replaces_a_changed_migration(tmp_path: Path) -> None:
    paths = export_plans(DEFAULT_PLANS, tmp_path)
    paths[0].write_text("-- edited by hand\n")
    export_plans(DEFAULT_PLANS, tmp_path, overwrite=True)
    assert paths[0].read_bytes() == DEFAULT_PLANS[0].path.read_bytes()


def test_checksum_is_sha256_hex_of_the_file_bytes(tmp_path: Path) -> None:
    # The zero-padding vector from prisma-engines' checksum.rs tests.
    assert prisma_checksum("hello") == "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    for plan, path in zip(DEFAULT_PLANS, export_plans(DEFAULT_PLANS, tmp_path), strict=True):
        assert prisma_checksum(migration_sql(plan)) == hashlib.sha256(path.read_bytes()).hexdigest()


def _prisma_rows(url: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT migration_name, checksum, finished_at IS NOT NULL, rolled_back_at, logs, applied_steps_count, "
            "length(id) FROM _prisma_migrations ORDER BY migration_name"
        ).fetchall()


def test_table_has_prismas_column_layout(empty_db: str) -> None:
    with psycopg.connect(empty_db) as conn:
        ensure_prisma_migrations_table(conn)
        columns = conn.execute(
            "SELECT column_name, data_type, character_maximum_length, is_nullable, column_default "
            "FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position"
        ).fetchall()
    assert columns == [
        ("id", "character varying", 36, "NO", None),
        ("checksum", "character varying", 64, "NO", None),
        ("finished_at", "timestamp with time zone", None, "YES", None),
        ("migration_name", "character varying", 255, "NO", None),
        ("logs", "text", None, "YES", None),
        ("rolled_back_at", "timestamp with time zone", None, "YES", None),
        ("started_at", "timestamp with time zone", None, "NO", "now()"),
        ("applied_steps_count", "integer", None, "NO", "0"),
    ]


def test_record_writes_the_row_prisma_writes_after_a_successful_deploy(empty_db: str) -> None:
    started = datetime(2026, 1, 12, 10, 0, tzinfo=timezone.utc)
    with psycopg.connect(empty_db) as conn:
        record_prisma_migration(conn, DEFAULT_PLANS[0], started, started + timedelta(seconds=3))
    assert _prisma_rows(empty_db) == [
        ("20260112000001_critical_production_fixes", prisma_checksum(DEFAULT_PLANS[0].text), True, None, None, 1, 36)
    ]


def test_record_is_idempotent(empty_db: str) -> None:
    now = datetime.now(timezone.utc)
    with psycopg.connect(empty_db) as conn:
        record_prisma_migration(conn, DEFAULT_PLANS[0], now, now)
        record_prisma_migration(conn, DEFAULT_PLANS[0], now, now)
    assert len(_prisma_rows(empty_db)) == 1


def test_record_rolls_back_with_the_callers_transaction(empty_db: str) -> None:
    now = datetime.now(timezone.utc)
    with psycopg.connect(empty_db) as conn:
        record_prisma_migration(conn, DEFAULT_PLANS[0], now, now)
        conn.rollback()
        exists = conn.execute("SELECT to_regclass('public._prisma_migrations') IS NOT NULL").fetchone()
    assert exists == (False,)


def test_apply_record_prisma_records_every_applied_plan(baseline_db: str) -> None:
    apply(baseline_db, ApplyOptions(plans_dir=PLANS_DIR, record_prisma=True))
    rows = _prisma_rows(baseline_db)
    assert [(row[0], row[1]) for row in rows] == [
        (prisma_migration_name(plan), prisma_checksum(plan.text)) for plan in DEFAULT_PLANS
    ]


def test_apply_without_record_prisma_leaves_prisma_history_alone(baseline_db: str) -> None:
    apply(baseline_db, ApplyOptions(plans_dir=PLANS_DIR))
    with psycopg.connect(baseline_db) as conn:
        assert conn.execute("SELECT to_regclass('public._prisma_migrations')").fetchone() == (None,)
