"""`apply` on the pre-fix baseline: the seed's intent lands, data survives, re-runs are no-ops."""

from __future__ import annotations

import psycopg
import pytest

from bhq_migrate.migrate.runner import ApplyOptions, apply
from tests.conftest import PLANS_DIR
from tests.helpers import column_type, index_definition, query, scalar, schema_fingerprint

MONEY_COLUMNS = [
    ("Invoice", "amountCents"), ("Invoice", "balanceCents"), ("Invoice", "depositCents"), ("Payment", "amountCents"),
]


def test_apply_retypes_every_money_column_to_bigint(baseline_db: str) -> None:
    apply(baseline_db, ApplyOptions(plans_dir=PLANS_DIR))
    assert {column: column_type(baseline_db, table, column) for table, column in MONEY_COLUMNS} == {
        column: "bigint" for _, column in MONEY_COLUMNS
    }


def test_invoice_amount_holds_five_billion_cents_after_apply(baseline_db: str) -> None:
    apply(baseline_db, ApplyOptions(plans_dir=PLANS_DIR))
    with psycopg.connect(baseline_db) as conn:
        conn.execute('UPDATE "Invoice" SET "amountCents" = 5000000000 WHERE id = 1')
        assert conn.execute('SELECT "amountCents" FROM "Invoice" WHERE id = 1').fetchone() == (5_000_000_000,)


def test_invoice_amount_overflows_before_apply(baseline_db: str) -> None:
    with psycopg.connect(baseline_db) as conn, pytest.raises(psycopg.errors.NumericValueOutOfRange):
        conn.execute('UPDATE "Invoice" SET "amountCents" = 5000000000 WHERE id = 1')


def test_apply_keeps_row_counts_and_money_sums(baseline_db: str) -> None:
    totals = """
        SELECT (SELECT count(*) FROM "Invoice"), (SELECT sum("amountCents") FROM "Invoice"),
               (SELECT sum("balanceCents") FROM "Invoice"), (SELECT count(*) FROM "Payment"),
               (SELECT sum("amountCents") FROM "Payment"), (SELECT count(*) FROM "Contact")
    """
    before = query(baseline_db, totals)
    apply(baseline_db, ApplyOptions(plans_dir=PLANS_DIR))
    assert query(baseline_db, totals) == before


@pytest.mark.parametrize(
    ("index", "definition"),
    [
        ("Invoice_deletedAt_idx", 'ON public."Invoice" USING btree ("deletedAt") WHERE ("deletedAt" IS NULL)'),
        ("Contact_marketplaceUserId_tenantId_key",
         'UNIQUE INDEX "Contact_marketplaceUserId_tenantId_key" ON public."Contact" USING btree '
         '("marketplaceUserId", "tenantId") WHERE ("marketplaceUserId" IS NOT NULL)'),
        ("Invoice_tenantId_status_createdAt_idx",
         'ON public."Invoice" USING btree ("tenantId", status, "createdAt" DESC)'),
        ("Invoice_marketplace_idx",
         'ON public."Invoice" USING btree ("tenantId", "isMarketplaceInvoice", status) '
         'WHERE ("isMarketplaceInvoice" = true)'),
        ("Payment_invoiceId_status_idx", 'ON public."Payment" USING btree ("invoiceId", status)'),
    ],
)
def test_apply_builds_seed_indexes_with_their_definitions(baseline_db: str, index: str, definition: str) -> None:
    apply(baseline_db, ApplyOptions(plans_dir=PLANS_DIR))
    found = index_definition(baseline_db, index)
    assert found is not None and found.endswith(definition)


def test_apply_drops_the_plain_marketplace_user_index(baseline_db: str) -> None:
    assert index_definition(baseline_db, "Contact_marketplaceUserId_idx") is not None
    apply(baseline_db, ApplyOptions(plans_dir=PLANS_DIR))
    assert index_definition(baseline_db, "Contact_marketplaceUserId_idx") is None


def test_apply_adds_payment_mode_check_with_seed_values(baseline_db: str) -> None:
    apply(baseline_db, ApplyOptions(plans_dir=PLANS_DIR))
    definition = scalar(
        baseline_db,
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'Tenant_marketplacePaymentMode_check'",
    )
    assert all(f"'{mode}'" in definition for mode in ("stripe", "manual", "disabled"))


def test_apply_creates_marketplace_tables_with_foreign_keys(baseline_db: str) -> None:
    apply(baseline_db, ApplyOptions(plans_dir=PLANS_DIR))
    tables = {row[0] for row in query(baseline_db, "SELECT tablename FROM pg_tables WHERE schemaname = 'marketplace'")}
    assert tables == {"users", "providers", "service_listings", "transactions", "invoices", "message_threads",
                      "messages"}
    cascade = scalar(
        baseline_db,
        "SELECT confdeltype FROM pg_constraint WHERE conrelid = 'marketplace.messages'::regclass "
        "AND contype = 'f' AND confrelid = 'marketplace.message_threads'::regclass",
    )
    assert cascade == "c"


def test_apply_records_each_plan_in_history(baseline_db: str) -> None:
    apply(baseline_db, ApplyOptions(plans_dir=PLANS_DIR))
    rows = query(baseline_db, "SELECT id, name, length(sha256), applied_by = current_user, tool_version "
                              "FROM bhq_migrate.history ORDER BY id")
    from bhq_migrate import __version__

    assert rows == [("001", "critical_production_fixes", 64, True, __version__),
                    ("002", "marketplace_schema", 64, True, __version__)]


def test_second_apply_is_a_no_op(baseline_db: str) -> None:
    apply(baseline_db, ApplyOptions(plans_dir=PLANS_DIR))
    schema = schema_fingerprint(baseline_db)
    history = query(baseline_db, "SELECT id, applied_at FROM bhq_migrate.history ORDER BY id")
    second = apply(baseline_db, ApplyOptions(plans_dir=PLANS_DIR))
    assert [outcome.status for outcome in second.outcomes] == ["already-applied", "already-applied"]
    assert schema_fingerprint(baseline_db) == schema
    assert query(baseline_db, "SELECT id, applied_at FROM bhq_migrate.history ORDER BY id") == history


def test_optional_plan_is_skipped_unless_asked_for(baseline_db: str) -> None:
    apply(baseline_db, ApplyOptions(plans_dir=PLANS_DIR))
    assert scalar(baseline_db, "SELECT count(*) FROM bhq_migrate.history WHERE id = '003'") == 0
    apply(baseline_db, ApplyOptions(plans_dir=PLANS_DIR, with_optional=True))
    assert column_type(baseline_db, "Invoice", "marketplaceTransactionId") == "bigint"


def test_every_plan_runs_twice_when_history_is_lost(baseline_db: str) -> None:
    """Each statement is re-runnable: replaying the plans on a migrated schema changes nothing."""
    apply(baseline_db, ApplyOptions(plans_dir=PLANS_DIR, with_optional=True))
    schema = schema_fingerprint(baseline_db)
    query(baseline_db, "DROP SCHEMA bhq_migrate CASCADE")
    apply(baseline_db, ApplyOptions(plans_dir=PLANS_DIR, with_optional=True))
    assert schema_fingerprint(baseline_db) == schema


def test_single_transaction_applies_all_pending_plans(baseline_db: str) -> None:
    result = apply(baseline_db, ApplyOptions(plans_dir=PLANS_DIR, single_transaction=True))
    assert [outcome.status for outcome in result.outcomes] == ["applied", "applied"]


def test_dry_run_leaves_the_database_untouched(baseline_db: str) -> None:
    schema = schema_fingerprint(baseline_db)
    result = apply(baseline_db, ApplyOptions(plans_dir=PLANS_DIR, dry_run=True))
    assert [outcome.status for outcome in result.outcomes] == ["rolled-back (dry run)"] * 2
    assert any("ALTER TABLE" in change for change in result.outcomes[0].changes)
    assert schema_fingerprint(baseline_db) == schema
    assert scalar(baseline_db, "SELECT to_regclass('bhq_migrate.history')") is None
