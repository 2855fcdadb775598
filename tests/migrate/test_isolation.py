"""Plan 004 (tenant isolation) on the baseline with sample data, as the app role (no owner, no BYPASSRLS).

Checked here as a whole: every "tenantId" table has RLS enabled and forced with one fail-closed policy, and
every foreign key between tenant tables has its same-tenant composite twin; a table or key the plan does not
name is refused by its pre-flight. Under ``apply --online``: tests/migrate/test_isolation_online.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest

from bhq_migrate.errors import PlanFailed
from bhq_migrate.migrate.runner import ApplyOptions, Event, apply
from bhq_migrate.plans import load_plans
from tests.conftest import APP_ROLE, PLANS_DIR
from tests.helpers import query, scalar, schema_fingerprint

TENANT_TABLES = ["Animal", "Contact", "Invoice", "Payment"]
PLAN_004 = next(plan for plan in load_plans(PLANS_DIR) if plan.id == "004")


@contextmanager
def as_role(url: str, role: str, tenant: str | None) -> Iterator[psycopg.Connection[Any]]:
    """A transaction as ``role`` with the tenant set transaction-locally (None: never set), rolled back."""
    with psycopg.connect(url) as conn:
        conn.execute(f'SET ROLE "{role}"')  # type: ignore[arg-type]
        if tenant is not None:
            conn.execute("SELECT set_config('app.tenant_id', %s, true)", (tenant,))
        try:
            yield conn
        finally:
            conn.rollback()


def counts_by_tenant(url: str, table: str) -> dict[int, int]:
    return dict(query(url, f'SELECT "tenantId", count(*) FROM "{table}" GROUP BY 1'))  # type: ignore[arg-type]


def test_every_tenant_table_has_rls_enabled_forced_and_one_policy_for_all_commands(isolated_db: str) -> None:
    rows = query(isolated_db, """
        SELECT c.relname::text, c.relrowsecurity, c.relforcerowsecurity,
               array_agg(p.polname::text || ':' || p.polcmd::text || ':' || p.polpermissive::text ORDER BY p.polname),
               bool_and(pg_get_expr(p.polqual, p.polrelid) = pg_get_expr(p.polwithcheck, p.polrelid))
        FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenantId'
        LEFT JOIN pg_policy p ON p.polrelid = c.oid
        WHERE c.relkind = 'r' GROUP BY 1, 2, 3 ORDER BY 1""")
    assert rows == [(table, True, True, ["tenant_isolation:*:true"], True) for table in TENANT_TABLES]
    for table in ("Tenant",):  # no tenant column: untouched
        assert scalar(isolated_db, "SELECT relrowsecurity FROM pg_class WHERE relname = %s", (table,)) is False


def test_tenant_a_sees_exactly_its_rows_in_every_tenant_table(migrated_db: str, isolated_db: str) -> None:
    for table in TENANT_TABLES:
        truth = counts_by_tenant(migrated_db, table)
        assert len(truth) == 3, table  # the sample has three tenants in every table
        for tenant, expected in truth.items():
            with as_role(isolated_db, APP_ROLE, str(tenant)) as conn:
                seen = conn.execute(f'SELECT "tenantId", count(*) FROM "{table}" GROUP BY 1').fetchall()  # type: ignore[arg-type]
            assert seen == [(tenant, expected)], (table, tenant)


@pytest.mark.parametrize("tenant", [None, ""], ids=["never-set", "empty-string"])
def test_no_tenant_and_the_empty_string_see_zero_rows(isolated_db: str, tenant: str | None) -> None:
    for table in TENANT_TABLES:
        with as_role(isolated_db, APP_ROLE, tenant) as conn:
            assert conn.execute(f'SELECT count(*) FROM "{table}"').fetchone() == (0,), table  # type: ignore[arg-type]


def test_no_tenant_refuses_every_write(isolated_db: str) -> None:
    with as_role(isolated_db, APP_ROLE, None) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege,
                                                                     match="row-level security"):
        conn.execute("""INSERT INTO "Animal" ("tenantId", name, species, "updatedAt") VALUES (1, 'x', 'dog', now())""")


def test_cross_tenant_insert_fails(isolated_db: str) -> None:
    with as_role(isolated_db, APP_ROLE, "1") as conn, pytest.raises(psycopg.errors.InsufficientPrivilege,
                                                                    match="row-level security"):
        conn.execute("""INSERT INTO "Animal" ("tenantId", name, species, "updatedAt") VALUES (2, 'x', 'dog', now())""")
    with as_role(isolated_db, APP_ROLE, "1") as conn:  # the same row for its own tenant is accepted
        conn.execute("""INSERT INTO "Animal" ("tenantId", name, species, "updatedAt") VALUES (1, 'x', 'dog', now())""")


def test_cross_tenant_update_fails_and_other_tenants_rows_are_not_touched(isolated_db: str) -> None:
    with as_role(isolated_db, APP_ROLE, "1") as conn, pytest.raises(psycopg.errors.InsufficientPrivilege,
                                                                    match="row-level security"):
        conn.execute('UPDATE "Invoice" SET "tenantId" = 2 WHERE "tenantId" = 1')
    with as_role(isolated_db, APP_ROLE, "1") as conn:
        assert conn.execute('UPDATE "Invoice" SET status = status WHERE "tenantId" = 2').rowcount == 0
        assert conn.execute('DELETE FROM "Payment" WHERE "tenantId" = 3').rowcount == 0


def test_the_bypass_role_sees_the_same_rows_as_before(migrated_db: str, isolated_db: str) -> None:
    for table in TENANT_TABLES:
        with as_role(isolated_db, "bhq_tenant_bypass", None) as conn:
            seen = dict(conn.execute(f'SELECT "tenantId", count(*) FROM "{table}" GROUP BY 1').fetchall())  # type: ignore[arg-type]
        assert seen == counts_by_tenant(migrated_db, table), table


def test_same_tenant_foreign_keys_refuse_a_cross_tenant_reference_even_for_the_bypass_role(isolated_db: str) -> None:
    # Contact 2 belongs to tenant 3 (1 + 2 % 3); invoice 1 to tenant 2.
    assert query(isolated_db, 'SELECT "tenantId" FROM "Contact" WHERE id = 2') == [(3,)]
    with as_role(isolated_db, "bhq_tenant_bypass", None) as conn, pytest.raises(psycopg.errors.ForeignKeyViolation,
                                                                               match="tenantId_clientPartyId"):
        conn.execute('UPDATE "Invoice" SET "clientPartyId" = 2 WHERE id = 1')


def test_every_fk_between_tenant_tables_has_its_composite_twin(isolated_db: str) -> None:
    twins = query(isolated_db, """
        SELECT conrelid::regclass::text, conname::text, pg_get_constraintdef(oid) FROM pg_constraint
        WHERE contype = 'f' AND cardinality(conkey) = 2 ORDER BY 1, 2""")
    assert twins == [
        ('"Invoice"', "Invoice_tenantId_clientPartyId_fkey", 'FOREIGN KEY ("tenantId", "clientPartyId") REFERENCES '
         '"Contact"("tenantId", id) ON UPDATE CASCADE ON DELETE SET NULL ("clientPartyId")'),
        ('"Payment"', "Payment_tenantId_invoiceId_fkey", 'FOREIGN KEY ("tenantId", "invoiceId") REFERENCES '
         '"Invoice"("tenantId", id) ON UPDATE CASCADE ON DELETE RESTRICT'),
    ]


def test_deleting_a_contact_still_nulls_its_invoices_reference(isolated_db: str) -> None:
    invoice = scalar(isolated_db, 'SELECT id FROM "Invoice" WHERE "clientPartyId" = 4 LIMIT 1')
    with psycopg.connect(isolated_db, autocommit=True) as conn:
        conn.execute('DELETE FROM "Contact" WHERE id = 4')
    assert query(isolated_db, 'SELECT "clientPartyId", "tenantId" FROM "Invoice" WHERE id = %s', (invoice,)) == [
        (None, 2)]


def test_current_tenant_id_treats_null_and_empty_alike_is_stable_and_pins_search_path(isolated_db: str) -> None:
    with psycopg.connect(isolated_db) as conn:
        assert conn.execute("SELECT public.current_tenant_id()").fetchone() == (None,)
        conn.execute("SELECT set_config('app.tenant_id', '', true)")
        assert conn.execute("SELECT public.current_tenant_id()").fetchone() == (None,)
        conn.execute("SELECT set_config('app.tenant_id', '7', true)")
        assert conn.execute("SELECT public.current_tenant_id()").fetchone() == (7,)
    volatility, config = query(isolated_db, "SELECT provolatile, proconfig FROM pg_proc WHERE proname = "
                                            "'current_tenant_id'")[0]
    assert volatility == "s" and config == ["search_path=pg_catalog, pg_temp"]


def test_a_cross_tenant_reference_planted_before_004_is_refused_and_listed(migrated_db: str) -> None:
    with psycopg.connect(migrated_db, autocommit=True) as conn:
        conn.execute('UPDATE "Invoice" SET "clientPartyId" = 2 WHERE id IN (1, 4)')  # contact 2: tenant 3
        conn.execute('UPDATE "Payment" SET "tenantId" = 3 WHERE id = 5')  # its invoice 6 is tenant 1's
    before = schema_fingerprint(migrated_db)
    with pytest.raises(PlanFailed) as failed:
        apply(migrated_db, ApplyOptions(plans_dir=PLANS_DIR, only=("004",)))
    message = str(failed.value)
    assert "pre-flight: 3 cross-tenant reference(s)" in message
    assert '"Invoice".Invoice_clientPartyId_fkey (2 rows)' in message
    assert '"Invoice" (id)=(1): "tenantId" 2 -> "Contact" id=2 of "tenantId" 3' in message
    assert '"Invoice" (id)=(4): "tenantId" 2 -> "Contact" id=2 of "tenantId" 3' in message
    assert '"Payment" (id)=(5): "tenantId" 3 -> "Invoice" id=6 of "tenantId" 1' in message
    assert schema_fingerprint(migrated_db) == before
    assert scalar(migrated_db, "SELECT count(*) FROM pg_policy") == 0
    assert scalar(migrated_db, "SELECT count(*) FROM bhq_migrate.history WHERE id = '004'") == 0


POLICIES = "SELECT polrelid::regclass::text, polname::text, pg_get_expr(polqual, polrelid) FROM pg_policy ORDER BY 1"


def test_the_plan_runs_again_without_changing_anything(isolated_db: str) -> None:
    before = (schema_fingerprint(isolated_db), query(isolated_db, POLICIES))
    with psycopg.connect(isolated_db) as conn:
        for statement in PLAN_004.statements:
            conn.execute(statement.sql)  # type: ignore[arg-type]
    assert (schema_fingerprint(isolated_db), query(isolated_db, POLICIES)) == before


def test_a_tenant_table_or_key_the_plan_does_not_name_is_refused_and_listed(migrated_db: str) -> None:
    # 004 names its tables (so --online can build its indexes concurrently); one it does not know would be left
    # without row-level security: the pre-flight refuses instead of isolating partially.
    with psycopg.connect(migrated_db, autocommit=True) as conn:
        conn.execute('CREATE TABLE "Litter" (id serial PRIMARY KEY, "tenantId" int NOT NULL, '
                     '"motherId" int REFERENCES "Animal"(id))')
        conn.execute('ALTER TABLE "Animal" ADD COLUMN "sireId" int REFERENCES "Animal"(id)')  # a self-reference
    before = schema_fingerprint(migrated_db)
    with pytest.raises(PlanFailed) as failed:
        apply(migrated_db, ApplyOptions(plans_dir=PLANS_DIR, only=("004",)))
    assert ('pre-flight: plan 004 does not cover foreign key "Animal".Animal_sireId_fkey; '
            'foreign key "Litter".Litter_motherId_fkey; table "Litter"') in str(failed.value)
    assert schema_fingerprint(migrated_db) == before
    assert scalar(migrated_db, "SELECT count(*) FROM pg_policy") == 0
    assert scalar(migrated_db, "SELECT count(*) FROM bhq_migrate.history WHERE id = '004'") == 0


def test_a_role_that_may_not_create_the_bypass_role_applies_004_and_is_warned(migrated_db: str, tmp_path: Path
                                                                                ) -> None:
    owner = "bhq_plan_owner"  # cluster-wide, created once: owns the tenant tables, no SUPERUSER, no BYPASSRLS
    bypass = f"bhq_bypass_{uuid.uuid4().hex[:10]}"  # a name no test created: the plan must not create it either
    plans = tmp_path / "sql"
    plans.mkdir()
    for plan in PLANS_DIR.glob("*.sql"):
        (plans / plan.name).write_text(plan.read_text(encoding="utf-8").replace("bhq_tenant_bypass", bypass),
                                       encoding="utf-8")
    with psycopg.connect(migrated_db, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (owner,)).fetchone():
            conn.execute(f'CREATE ROLE "{owner}" NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE')  # type: ignore[arg-type]
        for table in TENANT_TABLES:
            conn.execute(f'ALTER TABLE "{table}" OWNER TO "{owner}"')  # type: ignore[arg-type]
        for statement in ("GRANT CREATE ON SCHEMA public TO {}", "GRANT ALL ON SCHEMA bhq_migrate TO {}",
                          "GRANT ALL ON ALL TABLES IN SCHEMA bhq_migrate TO {}",
                          "GRANT ALL ON ALL SEQUENCES IN SCHEMA bhq_migrate TO {}"):
            conn.execute(statement.format(f'"{owner}"'))  # type: ignore[arg-type]
    events: list[Event] = []
    with pytest.MonkeyPatch.context() as patch:  # every connection of this apply runs as the owner
        patch.setenv("PGOPTIONS", f"-c role={owner}")
        result = apply(migrated_db, ApplyOptions(plans_dir=plans, only=("004",)), on_event=events.append)
    assert [outcome.id for outcome in result.applied] == ["004"]
    warnings = [event.text for event in events if event.kind == "warning"]
    assert [text for text in warnings if bypass in text] == [
        f"server: {bypass} not created: role {owner} may not create a BYPASSRLS role; a superuser can create it "
        'and grant it DML on the tenant tables (README.md, "Tenant isolation")']
    assert scalar(migrated_db, "SELECT count(*) FROM pg_roles WHERE rolname = %s", (bypass,)) == 0
    policies = "SELECT count(*) FROM pg_policy WHERE polname = 'tenant_isolation'"
    assert scalar(migrated_db, policies) == len(TENANT_TABLES)


def test_with_optional_leaves_the_explicit_plan_004_out(migrated_db: str) -> None:
    result = apply(migrated_db, ApplyOptions(plans_dir=PLANS_DIR, with_optional=True))
    assert [outcome.id for outcome in result.applied] == ["003"]
    assert scalar(migrated_db, "SELECT count(*) FROM pg_policy") == 0
