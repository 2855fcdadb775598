"""The lock/effect table applied to single statements (no server; see test_analysis_locks for pg_locks)."""

from __future__ import annotations

import pytest

from bhq_migrate.lint import Effect, LockMode, analyse_sql
from bhq_migrate.lint.analysis import ACTIONS
from bhq_migrate.lint.types import TypeRef


@pytest.mark.parametrize(
    ("sql", "table", "lock", "effect"),
    [
        (
            'ALTER TABLE "Invoice" ALTER COLUMN "amountCents" TYPE BIGINT',
            "public.Invoice",
            LockMode.ACCESS_EXCLUSIVE,
            Effect.REWRITE,
        ),
        ('CREATE INDEX i ON "Invoice" ("status")', "public.Invoice", LockMode.SHARE, Effect.SCAN),
        (
            'CREATE INDEX CONCURRENTLY i ON "Invoice" ("status")',
            "public.Invoice",
            LockMode.SHARE_UPDATE_EXCLUSIVE,
            Effect.SCAN,
        ),
        (
            'ALTER TABLE "Invoice" ADD CONSTRAINT c CHECK (x > 0)',
            "public.Invoice",
            LockMode.ACCESS_EXCLUSIVE,
            Effect.SCAN,
        ),
        (
            'ALTER TABLE "Invoice" ADD CONSTRAINT c CHECK (x > 0) NOT VALID',
            "public.Invoice",
            LockMode.ACCESS_EXCLUSIVE,
            Effect.CATALOG,
        ),
        (
            'ALTER TABLE "Payment" ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES "Invoice" (id)',
            "public.Payment",
            LockMode.SHARE_ROW_EXCLUSIVE,
            Effect.SCAN,
        ),
        (
            'ALTER TABLE "Invoice" VALIDATE CONSTRAINT c',
            "public.Invoice",
            LockMode.SHARE_UPDATE_EXCLUSIVE,
            Effect.SCAN,
        ),
        (
            'ALTER TABLE "Invoice" ALTER COLUMN "status" SET NOT NULL',
            "public.Invoice",
            LockMode.ACCESS_EXCLUSIVE,
            Effect.SCAN,
        ),
        (
            'ALTER TABLE "Invoice" ADD COLUMN n int DEFAULT 0',
            "public.Invoice",
            LockMode.ACCESS_EXCLUSIVE,
            Effect.CATALOG,
        ),
        (
            'ALTER TABLE "Invoice" ADD COLUMN n float8 DEFAULT random()',
            "public.Invoice",
            LockMode.ACCESS_EXCLUSIVE,
            Effect.REWRITE,
        ),
        (
            'ALTER TABLE "Invoice" ADD COLUMN n bigserial',
            "public.Invoice",
            LockMode.ACCESS_EXCLUSIVE,
            Effect.REWRITE,
        ),
        (
            'ALTER TABLE "Invoice" ADD COLUMN n int DEFAULT (random() * 10)::int',
            "public.Invoice",
            LockMode.ACCESS_EXCLUSIVE,
            Effect.REWRITE,
        ),
        ("CREATE TABLE marketplace.users (id serial)", "marketplace.users", None, Effect.CATALOG),
        ('UPDATE "Invoice" SET status = status', "public.Invoice", LockMode.ROW_EXCLUSIVE, Effect.SCAN),
        ("SET lock_timeout = '5s'", None, None, Effect.NONE),
    ],
)
def test_statement_effect_follows_the_table(sql: str, table: str | None, lock: LockMode | None, effect: Effect) -> None:
    result = analyse_sql(sql)
    assert (result.object, result.lock_mode, result.effect) == (table, lock, effect)


def test_alter_table_takes_its_strongest_clause_lock_and_costliest_effect() -> None:
    result = analyse_sql('ALTER TABLE "Invoice" VALIDATE CONSTRAINT c, ALTER COLUMN a TYPE bigint')
    assert (result.lock_mode, result.effect) == (LockMode.ACCESS_EXCLUSIVE, Effect.REWRITE)
    assert result.actions == ("VALIDATE CONSTRAINT", "ALTER COLUMN TYPE")


def test_foreign_key_locks_the_referenced_table_too() -> None:
    result = analyse_sql('ALTER TABLE "Payment" ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES "Invoice" (id) NOT VALID')
    assert {(lock.table, lock.mode) for lock in result.locks} == {
        ("public.Payment", LockMode.SHARE_ROW_EXCLUSIVE),
        ("public.Invoice", LockMode.SHARE_ROW_EXCLUSIVE),
    }


def test_varchar_widening_is_catalog_only_when_the_old_type_is_known() -> None:
    def old_type(table: str, column: str) -> TypeRef:
        return TypeRef("varchar", (50,))

    sql = "ALTER TABLE marketplace.invoices ALTER COLUMN stripe_invoice_id TYPE VARCHAR(255)"
    assert analyse_sql(sql, old_type).effect is Effect.CATALOG
    assert analyse_sql(sql).effect is Effect.REWRITE  # unknown old type: the conservative answer


@pytest.mark.parametrize(("clause", "unchanged_for"), [("SET LOGGED", "p"), ("SET UNLOGGED", "u")])
def test_set_logged_or_unlogged_copies_the_table_unless_it_already_has_that_persistence(
    clause: str, unchanged_for: str
) -> None:
    sql = f"ALTER TABLE t {clause}"
    changed_for = "u" if unchanged_for == "p" else "p"
    assert analyse_sql(sql).effect is Effect.REWRITE  # persistence unknown: the conservative answer
    assert analyse_sql(sql, persistence=lambda table: changed_for).effect is Effect.REWRITE
    unchanged = analyse_sql(sql, persistence=lambda table: unchanged_for)
    assert (unchanged.effect, unchanged.lock_mode) == (Effect.CATALOG, LockMode.ACCESS_EXCLUSIVE)


def test_varchar_narrowing_rewrites() -> None:
    sql = "ALTER TABLE t ALTER COLUMN c TYPE VARCHAR(10)"
    assert analyse_sql(sql, lambda table, column: TypeRef("varchar", (50,))).effect is Effect.REWRITE


def test_every_action_names_a_documented_lock_or_none() -> None:
    assert all(facts.note for facts in ACTIONS.values())
