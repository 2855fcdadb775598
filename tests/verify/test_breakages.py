"""Each breakage is made on a freshly migrated database; verify must fail and name the broken object."""

from __future__ import annotations

import psycopg
import pytest

from bhq_migrate.verify import Status
from tests.verify.conftest import execute, failing_ids, result, run_verify

BREAKAGES = [
    pytest.param(
        ['ALTER TABLE "Invoice" ALTER COLUMN "amountCents" TYPE integer'],
        ["001/col_type_is/public.Invoice.amountCents", "V001/public.Invoice.amountCents"],
        id="money-column-back-to-int",
    ),
    pytest.param(
        ['DROP INDEX "Invoice_stripe_idx"', 'CREATE INDEX "Invoice_stripe_idx" ON "Invoice" ("stripeInvoiceId")'],
        ["001/index_is_partial/public.Invoice_stripe_idx"],
        id="partial-index-without-predicate",
    ),
    pytest.param(
        ["DROP INDEX marketplace.idx_marketplace_listings_category",
         "CREATE INDEX idx_marketplace_listings_category ON marketplace.service_listings (category, status) "
         "WHERE status = 'paused'"],
        ["002/index_is_partial/marketplace.idx_marketplace_listings_category"],
        id="partial-index-with-another-predicate",
    ),
    pytest.param(
        ['DROP INDEX "Payment_invoiceId_status_idx"'],
        ["001/has_index/public.Payment_invoiceId_status_idx"],
        id="index-dropped",
    ),
    pytest.param(
        ['ALTER TABLE "Tenant" DROP CONSTRAINT "Tenant_marketplacePaymentMode_check"',
         """ALTER TABLE "Tenant" ADD CONSTRAINT "Tenant_marketplacePaymentMode_check"
            CHECK ("marketplacePaymentMode" IN ('stripe', 'manual'))"""],
        ["001/check_values_are/public.Tenant.Tenant_marketplacePaymentMode_check"],
        id="check-value-removed",
    ),
    pytest.param(
        ["ALTER TABLE marketplace.invoices DROP CONSTRAINT invoices_payment_mode_check",
         "ALTER TABLE marketplace.invoices ADD CONSTRAINT invoices_payment_mode_check "
         "CHECK (payment_mode IN ('stripe', 'manual', 'crypto'))"],
        ["002/check_values_are/marketplace.invoices.invoices_payment_mode_check"],
        id="check-value-added",
    ),
    pytest.param(
        ["ALTER TABLE marketplace.messages DROP CONSTRAINT messages_thread_id_fkey",
         "ALTER TABLE marketplace.messages ADD CONSTRAINT messages_thread_id_fkey FOREIGN KEY (thread_id) "
         "REFERENCES marketplace.message_threads (id) ON DELETE RESTRICT"],
        ["002/fk_on_delete_is/marketplace.messages.messages_thread_id_fkey"],
        id="fk-on-delete-changed",
    ),
    pytest.param(
        ["""ALTER TABLE "Tenant" ALTER COLUMN "marketplacePaymentMode" SET DEFAULT 'stripe'"""],
        ["001/col_default_is/public.Tenant.marketplacePaymentMode"],
        id="column-default-changed",
    ),
    pytest.param(
        ["ALTER TABLE marketplace.invoices ALTER COLUMN total_cents DROP NOT NULL"],
        ["002/col_not_null/marketplace.invoices.total_cents"],
        id="not-null-dropped",
    ),
    pytest.param(
        ['DROP INDEX "Invoice_tenantId_status_createdAt_idx"',
         'CREATE INDEX "Invoice_tenantId_status_createdAt_idx" ON "Invoice" ("tenantId", "createdAt")'],
        ["001/index_columns_are/public.Invoice_tenantId_status_createdAt_idx"],
        id="index-right-name-different-columns",
    ),
    pytest.param(
        ['DROP INDEX "Invoice_tenantId_status_createdAt_idx"',
         'CREATE INDEX "Invoice_tenantId_status_createdAt_idx" ON "Invoice" ("tenantId", "status", "createdAt")'],
        ["001/index_columns_are/public.Invoice_tenantId_status_createdAt_idx"],
        id="index-sort-direction-lost",
    ),
    pytest.param(
        ["DROP TABLE marketplace.messages"],
        ["002/has_table/marketplace.messages"],
        id="table-dropped",
    ),
    pytest.param(
        ['CREATE INDEX "Payment_invoiceId_dup_idx" ON "Payment" ("invoiceId", "status")'],
        [],
        id="redundant-index-added",
    ),
    pytest.param(
        ['CREATE INDEX "Contact_marketplaceUserId_idx" ON "Contact" ("marketplaceUserId")'],
        ["001/hasnt_index/public.Contact_marketplaceUserId_idx"],
        id="dropped-index-recreated",
    ),
    pytest.param(
        ['DROP INDEX "Contact_marketplaceUserId_tenantId_key"',
         'CREATE INDEX "Contact_marketplaceUserId_tenantId_key" ON "Contact" ("marketplaceUserId", "tenantId") '
         'WHERE "marketplaceUserId" IS NOT NULL'],
        ["001/index_is_unique/public.Contact_marketplaceUserId_tenantId_key"],
        id="unique-index-made-non-unique",
    ),
    pytest.param(
        ["ALTER TABLE marketplace.users DROP CONSTRAINT users_email_key"],
        ["002/has_unique/marketplace.users.users_email_key"],
        id="unique-constraint-dropped",
    ),
    pytest.param(
        ["ALTER TABLE marketplace.providers DROP CONSTRAINT providers_user_id_fkey",
         "ALTER TABLE marketplace.providers ADD CONSTRAINT providers_user_id_fkey FOREIGN KEY (user_id) "
         "REFERENCES marketplace.users (id) ON DELETE CASCADE NOT VALID"],
        ["002/constraint_is_valid/marketplace.providers.providers_user_id_fkey"],
        id="fk-left-not-valid",
    ),
    pytest.param(
        ["ALTER TABLE marketplace.providers ALTER COLUMN business_name TYPE text"],
        ["002/col_type_is/marketplace.providers.business_name"],
        id="varchar-column-retyped",
    ),
]


@pytest.mark.parametrize(("statements", "expected_failures"), BREAKAGES)
def test_breakage_is_detected_and_names_the_object(
    migrated_db: str, statements: list[str], expected_failures: list[str]
) -> None:
    assert run_verify(migrated_db).ok, "precondition: the migrated database passes"
    execute(migrated_db, *statements)
    report = run_verify(migrated_db, strict=not expected_failures)
    assert not report.ok
    for result_id in expected_failures:
        broken = result(report, result_id)
        assert broken.status is Status.FAIL
        assert broken.object.split(".")[-1] in broken.message
        assert broken.expected != broken.found


def test_redundant_index_added_is_reported_by_name(migrated_db: str) -> None:
    execute(migrated_db, 'CREATE INDEX "Payment_invoiceId_dup_idx" ON "Payment" ("invoiceId", "status")')
    redundant = result(run_verify(migrated_db), "V004/public.Payment_invoiceId_dup_idx")
    assert redundant.status is Status.WARN
    assert "Payment_invoiceId_status_idx" in redundant.message
    assert redundant.fix_sql == 'DROP INDEX CONCURRENTLY public."Payment_invoiceId_dup_idx";'


def test_an_index_left_invalid_by_a_failed_concurrent_build_is_detected(migrated_db: str) -> None:
    # The real way an index ends up INVALID: CREATE UNIQUE INDEX CONCURRENTLY fails on duplicate keys.
    execute(
        migrated_db,
        'DROP INDEX "Contact_marketplaceUserId_tenantId_key"',
        """UPDATE "Contact" SET "marketplaceUserId" = 4242 WHERE id IN (SELECT id FROM "Contact"
           WHERE "tenantId" = (SELECT min("tenantId") FROM "Contact") ORDER BY id LIMIT 2)""",
    )
    with pytest.raises(psycopg.errors.UniqueViolation):
        execute(
            migrated_db,
            'CREATE UNIQUE INDEX CONCURRENTLY "Contact_marketplaceUserId_tenantId_key" '
            'ON "Contact" ("marketplaceUserId", "tenantId") WHERE "marketplaceUserId" IS NOT NULL',
        )
    report = run_verify(migrated_db)
    invalid = result(report, "001/index_is_valid/public.Contact_marketplaceUserId_tenantId_key")
    assert invalid.status is Status.FAIL
    assert invalid.found is not None and invalid.found.startswith("INVALID")
    assert invalid.fix_sql == 'REINDEX INDEX CONCURRENTLY public."Contact_marketplaceUserId_tenantId_key";'
    assert result(report, "V002/public.Contact_marketplaceUserId_tenantId_key").status is Status.FAIL
    # IF NOT EXISTS matched the name: the definition checks still pass, only validity fails.
    assert result(report, "001/has_index/public.Contact_marketplaceUserId_tenantId_key").status is Status.PASS


def test_a_check_value_set_difference_lists_missing_and_extra_values(migrated_db: str) -> None:
    execute(
        migrated_db,
        'ALTER TABLE "Tenant" DROP CONSTRAINT "Tenant_marketplacePaymentMode_check"',
        """ALTER TABLE "Tenant" ADD CONSTRAINT "Tenant_marketplacePaymentMode_check"
           CHECK ("marketplacePaymentMode" IN ('stripe', 'manual', 'paypal'))""",
    )
    broken = result(run_verify(migrated_db), "001/check_values_are/public.Tenant.Tenant_marketplacePaymentMode_check")
    assert broken.missing == ("disabled",)
    assert broken.extra == ("paypal",)
    assert broken.fix_sql is not None and "NOT VALID" in broken.fix_sql and "VALIDATE CONSTRAINT" in broken.fix_sql


def test_rewriting_a_check_in_another_order_and_syntax_is_not_drift(migrated_db: str) -> None:
    execute(
        migrated_db,
        'ALTER TABLE "Tenant" DROP CONSTRAINT "Tenant_marketplacePaymentMode_check"',
        """ALTER TABLE "Tenant" ADD CONSTRAINT "Tenant_marketplacePaymentMode_check"
           CHECK ("marketplacePaymentMode"::text = ANY (ARRAY['disabled', 'stripe', 'manual']))""",
    )
    report = run_verify(migrated_db)
    check = result(report, "001/check_values_are/public.Tenant.Tenant_marketplacePaymentMode_check")
    assert check.status is Status.PASS


def test_breakages_leave_unrelated_checks_passing(migrated_db: str) -> None:
    execute(migrated_db, "ALTER TABLE marketplace.invoices ALTER COLUMN total_cents DROP NOT NULL")
    assert failing_ids(run_verify(migrated_db)) == {"002/col_not_null/marketplace.invoices.total_cents"}
