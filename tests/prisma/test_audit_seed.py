"""audit-prisma on the seed plan's Prisma models against a database migrated by plans 001 and 002.

Every expected finding below was checked by hand against sql/001, sql/002 and the fixture (the VARCHAR /
TIMESTAMP columns and the nullable columns were also derived independently from the plans' parse trees).
The groups follow the issue's list of disagreements, then what the audit found beyond it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bhq_migrate.connection import connect
from bhq_migrate.prisma.audit import AuditReport, audit
from bhq_migrate.prisma.rules import RULES, Classification
from bhq_migrate.prisma.schema_parser import load_schema

SEED_MODELS = Path(__file__).parent / "fixtures" / "seed_models.prisma"


def _columns(table: str, names: str) -> set[str]:
    return {f'{table}."{name}"' for name in names.split()}


# --- The issue's list -----------------------------------------------------------------------------
# Declared in Prisma, never created by the SQL. (Payment @@index([invoiceId, status]) is not here:
# plan 001 creates "Payment_invoiceId_status_idx".)
UNIQUE_NOT_CREATED = {
    ("P007", 'public."Tenant" index "Tenant_stripeConnectAccountId_key"'),
    ("P007", 'marketplace."invoices" index "invoices_transaction_id_key"'),
}
# Expressed differently: a plain @@index/@@unique in Prisma, a partial index in the database.
EXPRESSED_DIFFERENTLY = {
    ("P009", 'public."Contact" index "Contact_marketplaceUserId_tenantId_key"'),
    ("P009", 'public."Contact" index "Contact_deletedAt_idx"'),
    ("P009", 'public."Invoice" index "Invoice_deletedAt_idx"'),
    # ...and every other partial index the SQL builds where the seed's Prisma model has a plain @@index:
    ("P009", 'public."Contact" index "Contact_tenantId_deletedAt_idx"'),
    ("P009", 'public."Invoice" index "Invoice_clientPartyId_status_idx"'),
    ("P009", 'public."Invoice" index "Invoice_marketplace_idx"'),
    ("P009", 'public."Invoice" index "Invoice_stripe_idx"'),
    ("P009", 'marketplace."users" index "idx_marketplace_users_tenant"'),
    ("P009", 'marketplace."users" index "idx_marketplace_users_stripe"'),
    ("P009", 'marketplace."providers" index "idx_marketplace_providers_tenant"'),
    ("P009", 'marketplace."providers" index "idx_marketplace_providers_stripe"'),
    ("P009", 'marketplace."service_listings" index "idx_marketplace_listings_category"'),
    ("P009", 'marketplace."service_listings" index "idx_marketplace_listings_location"'),
    ("P009", 'marketplace."transactions" index "idx_marketplace_transactions_listing"'),
    ("P009", 'marketplace."invoices" index "idx_marketplace_invoices_stripe"'),
}
# Not expressible in Prisma at all: the CHECK constraints.
NOT_EXPRESSIBLE = {
    ("P013", f'{table} constraint "{name}"')
    for table, name in [
        ('public."Tenant"', "Tenant_marketplacePaymentMode_check"),
        ('marketplace."users"', "users_status_check"),
        ('marketplace."users"', "users_user_type_check"),
        ('marketplace."providers"', "providers_payment_mode_check"),
        ('marketplace."providers"', "providers_provider_type_check"),
        ('marketplace."providers"', "providers_status_check"),
        ('marketplace."service_listings"', "service_listings_price_type_check"),
        ('marketplace."service_listings"', "service_listings_status_check"),
        ('marketplace."transactions"', "transactions_invoice_type_check"),
        ('marketplace."transactions"', "transactions_status_check"),
        ('marketplace."invoices"', "invoices_payment_mode_check"),
        ('marketplace."invoices"', "invoices_status_check"),
        ('marketplace."message_threads"', "message_threads_status_check"),
    ]
}

# --- Beyond the issue's list (docs/seed-audit.md item 11) ------------------------------------------------
# VARCHAR(n) in the SQL where Prisma's String is text; TIMESTAMP where DateTime is timestamp(3).
TYPE_MISMATCHES = {
    ("P004", column)
    for column in (
        _columns('public."Tenant"', "marketplacePaymentMode stripeConnectAccountId")
        | _columns('public."Contact"', "deletedAt marketplaceFirstContactedAt")
        | _columns(
            'public."Invoice"',
            "deletedAt paymentModeSnapshot stripeInvoiceId stripePaymentIntentId buyerMarkedPaidAt "
            "buyerPaymentMethod buyerPaymentReference providerConfirmedAt",
        )
        | _columns(
            'marketplace."users"',
            "email password_hash first_name last_name phone user_type stripe_customer_id status created_at updated_at",
        )
        | _columns(
            'marketplace."providers"',
            "provider_type business_name city state stripe_connect_account_id payment_mode status "
            "created_at updated_at",
        )
        | _columns(
            'marketplace."service_listings"',
            "slug title category price_type city state status published_at created_at updated_at",
        )
        | _columns('marketplace."transactions"', "invoice_type status created_at invoiced_at paid_at completed_at")
        | _columns(
            'marketplace."invoices"',
            "invoice_number status payment_mode payment_mode_locked_at stripe_invoice_id stripe_payment_intent_id "
            "buyer_marked_paid_at buyer_payment_method buyer_payment_reference provider_confirmed_at issued_at due_at "
            "paid_at created_at updated_at",
        )
        | _columns('marketplace."message_threads"', "subject status last_message_at created_at")
        | _columns('marketplace."messages"', "read_at created_at")
    )
}
# Columns the SQL leaves nullable (DEFAULT without NOT NULL) where the Prisma field is required.
NULLABILITY_MISMATCHES = {
    ("P005", column)
    for column in (
        _columns(
            'public."Tenant"', "marketplacePaymentMode stripeConnectOnboardingComplete stripeConnectPayoutsEnabled"
        )
        | _columns('public."Contact"', "marketplaceTotalTransactions marketplaceTotalSpentCents")
        | _columns('public."Invoice"', "isMarketplaceInvoice refundedCents")
        | _columns('marketplace."users"', "email_verified user_type tenant_verified status created_at updated_at")
        | _columns(
            'marketplace."providers"',
            "stripe_connect_onboarding_complete stripe_connect_payouts_enabled payment_mode total_listings "
            "total_transactions total_revenue_cents average_rating status created_at updated_at",
        )
        | _columns('marketplace."service_listings"', "status created_at updated_at")
        | _columns('marketplace."transactions"', "platform_fee_cents status created_at")
        | _columns('marketplace."invoices"', "refunded_cents status payment_mode_locked_at created_at updated_at")
        | _columns('marketplace."message_threads"', "status last_message_at created_at")
        | _columns('marketplace."messages"', "created_at")
    )
}
# updated_at has DEFAULT NOW() in the SQL, but @updatedAt gives no database default.
DEFAULT_MISMATCHES = {
    ("P006", f'marketplace."{table}"."updated_at"') for table in ("users", "providers", "service_listings", "invoices")
}
# Animal.deletedAt exists only in the SQL: the next migrate dev would drop it.
COLUMN_ONLY_IN_SQL = {("P003", 'public."Animal"."deletedAt"')}
# The SQL's idx_marketplace_* names, where Prisma expects <table>_<columns>_idx: a rename.
NAMES_DIFFER = {
    ("P010", f'marketplace."{table}" index "{name}"')
    for table, name in [
        ("users", "idx_marketplace_users_email"),
        ("providers", "idx_marketplace_providers_user"),
        ("service_listings", "idx_marketplace_listings_provider"),
        ("transactions", "idx_marketplace_transactions_client"),
        ("transactions", "idx_marketplace_transactions_provider"),
        ("transactions", "idx_marketplace_transactions_invoice"),
        ("invoices", "idx_marketplace_invoices_transaction"),
        ("invoices", "idx_marketplace_invoices_provider"),
        ("invoices", "idx_marketplace_invoices_client"),
        ("message_threads", "idx_marketplace_threads_client"),
        ("message_threads", "idx_marketplace_threads_provider"),
        ("messages", "idx_marketplace_messages_thread"),
    ]
}
# REFERENCES without ON UPDATE is NO ACTION; a Prisma @relation without onUpdate means Cascade.
FOREIGN_KEY_ACTIONS = {
    ("P011", f'marketplace."{table}" foreign key "{table}_{column}_fkey"')
    for table, column in [
        ("providers", "user_id"),
        ("service_listings", "provider_id"),
        ("transactions", "client_id"),
        ("transactions", "provider_id"),
        ("transactions", "listing_id"),
        ("invoices", "transaction_id"),
        ("invoices", "provider_id"),
        ("invoices", "client_id"),
        ("message_threads", "client_id"),
        ("message_threads", "provider_id"),
        ("message_threads", "listing_id"),
        ("message_threads", "transaction_id"),
        ("messages", "thread_id"),
        ("messages", "sender_id"),
    ]
}
# provider_confirmed_by REFERENCES users(id), but the model's providerConfirmedById has no @relation.
FOREIGN_KEY_UNKNOWN = {("P012", 'marketplace."invoices" constraint "invoices_provider_confirmed_by_fkey"')}

ALL_EXPECTED = (
    UNIQUE_NOT_CREATED
    | EXPRESSED_DIFFERENTLY
    | NOT_EXPRESSIBLE
    | TYPE_MISMATCHES
    | NULLABILITY_MISMATCHES
    | DEFAULT_MISMATCHES
    | COLUMN_ONLY_IN_SQL
    | NAMES_DIFFER
    | FOREIGN_KEY_ACTIONS
    | FOREIGN_KEY_UNKNOWN
)


@pytest.fixture(scope="module")
def seed_report(pg_server: object, migrated_template: str) -> Iterator[AuditReport]:
    """One audit of a fresh migrated database, shared by the assertions below (the audit is read-only)."""
    name = pg_server.create_database(template=migrated_template)  # type: ignore[attr-defined]
    try:
        with connect(pg_server.url_for(name)) as conn:  # type: ignore[attr-defined]
            yield audit(conn, load_schema(SEED_MODELS))
    finally:
        pg_server.drop_database(name)  # type: ignore[attr-defined]


def _found(report: AuditReport) -> set[tuple[str, str]]:
    return {(finding.rule, finding.subject) for finding in report.findings}


def test_seed_models_report_exactly_the_known_disagreements(seed_report: AuditReport) -> None:
    found = _found(seed_report)
    assert found - ALL_EXPECTED == set(), "unexpected findings"
    assert ALL_EXPECTED - found == set(), "known disagreements not reported"


def test_each_disagreement_is_reported_once(seed_report: AuditReport) -> None:
    assert len(seed_report.findings) == len(ALL_EXPECTED)


def test_issue_list_is_drift_except_the_checks(seed_report: AuditReport) -> None:
    classification = {(f.rule, f.subject): f.classification for f in seed_report.findings}
    for item in UNIQUE_NOT_CREATED | EXPRESSED_DIFFERENTLY:
        assert classification[item] is Classification.DRIFT, item
    for item in NOT_EXPRESSIBLE:
        assert classification[item] is Classification.EXPECTED, item


def test_every_finding_carries_its_rules_classification(seed_report: AuditReport) -> None:
    by_id = {rule.id: rule for rule in RULES}
    for finding in seed_report.findings:
        assert finding.classification is by_id[finding.rule].classification
        assert finding.severity is by_id[finding.rule].severity


def test_payment_index_declared_only_in_prisma_now_exists(seed_report: AuditReport) -> None:
    assert not [f for f in seed_report.findings if '"Payment"' in f.subject]


def test_seed_models_are_not_in_sync(seed_report: AuditReport) -> None:
    assert not seed_report.in_sync


def test_findings_point_at_the_declaring_line(seed_report: AuditReport) -> None:
    lines = SEED_MODELS.read_text(encoding="utf-8").splitlines()
    subject = 'public."Tenant" index "Tenant_stripeConnectAccountId_key"'
    finding = next(f for f in seed_report.findings if f.subject == subject)
    assert "@unique" in lines[finding.line - 1][finding.column - 1 :]
