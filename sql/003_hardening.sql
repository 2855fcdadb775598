-- description: Optional DBA hardening of the seed's design (SEED_AUDIT.md "Design problems").
-- optional: true
-- transactional: true
-- depends: 001 002
--
-- Applied only on request (`bhq-migrate apply --with-optional`). It adds to 001/002 and changes
-- only what those plans got wrong; it never drops an object they create.

-- Audit 1: "Invoice"."marketplaceTransactionId" must hold any marketplace.transactions id (BIGSERIAL),
-- and point at a real transaction. One more rewrite of "Invoice": schedule it like 001.
-- bhq-migrate-ignore changing-column-type -- INTEGER cannot hold a BIGSERIAL id; the rewrite is the fix
ALTER TABLE "Invoice" ALTER COLUMN "marketplaceTransactionId" TYPE BIGINT;

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint
                 WHERE conrelid = '"Invoice"'::regclass AND conname = 'Invoice_marketplaceTransactionId_fkey') THEN
    ALTER TABLE "Invoice" ADD CONSTRAINT "Invoice_marketplaceTransactionId_fkey"
      FOREIGN KEY ("marketplaceTransactionId") REFERENCES marketplace.transactions(id) ON DELETE SET NULL NOT VALID;
  END IF;
END
$$;
ALTER TABLE "Invoice" VALIDATE CONSTRAINT "Invoice_marketplaceTransactionId_fkey";

CREATE INDEX IF NOT EXISTS "Invoice_marketplaceTransactionId_idx"
  ON "Invoice"("marketplaceTransactionId")
  WHERE "marketplaceTransactionId" IS NOT NULL;

-- Audit 2: a transaction can exist before its invoice; a 'tenant' invoice names its tenant.
ALTER TABLE marketplace.transactions ALTER COLUMN invoice_id DROP NOT NULL;

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint
                 WHERE conrelid = 'marketplace.transactions'::regclass AND conname = 'transactions_invoice_ref_check') THEN
    ALTER TABLE marketplace.transactions ADD CONSTRAINT transactions_invoice_ref_check
      CHECK ((status = 'pending_invoice' OR invoice_id IS NOT NULL)
             AND (invoice_type <> 'tenant' OR tenant_id IS NOT NULL));
  END IF;
END
$$;

-- Audit 3: one invoice per transaction (the seed's Prisma model says @unique).
CREATE UNIQUE INDEX IF NOT EXISTS invoices_transaction_id_key ON marketplace.invoices (transaction_id);

-- Audit 9: money is never negative; refunds never exceed the total.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint
                 WHERE conrelid = '"Invoice"'::regclass AND conname = 'Invoice_amountCents_nonnegative_check') THEN
    ALTER TABLE "Invoice" ADD CONSTRAINT "Invoice_amountCents_nonnegative_check"
      CHECK ("amountCents" >= 0 AND "refundedCents" >= 0) NOT VALID;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint
                 WHERE conrelid = 'marketplace.transactions'::regclass AND conname = 'transactions_money_check') THEN
    ALTER TABLE marketplace.transactions ADD CONSTRAINT transactions_money_check
      CHECK (total_cents >= 0 AND platform_fee_cents >= 0 AND provider_payout_cents >= 0);
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint
                 WHERE conrelid = 'marketplace.invoices'::regclass AND conname = 'invoices_money_check') THEN
    ALTER TABLE marketplace.invoices ADD CONSTRAINT invoices_money_check
      CHECK (total_cents >= 0 AND balance_cents >= 0 AND refunded_cents BETWEEN 0 AND total_cents);
  END IF;
END
$$;
-- Validated separately: SHARE UPDATE EXCLUSIVE while scanning, so reads and writes go on.
ALTER TABLE "Invoice" VALIDATE CONSTRAINT "Invoice_amountCents_nonnegative_check";

-- Audit 9: e-mail addresses are unique regardless of case.
CREATE UNIQUE INDEX IF NOT EXISTS users_email_lower_key ON marketplace.users (lower(email));

-- Audit 8: the invoice's payment-mode snapshot takes the tenant's own value set.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint
                 WHERE conrelid = '"Invoice"'::regclass AND conname = 'Invoice_paymentModeSnapshot_check') THEN
    ALTER TABLE "Invoice" ADD CONSTRAINT "Invoice_paymentModeSnapshot_check"
      CHECK ("paymentModeSnapshot" IN ('stripe', 'manual', 'disabled')) NOT VALID;
  END IF;
END
$$;
ALTER TABLE "Invoice" VALIDATE CONSTRAINT "Invoice_paymentModeSnapshot_check";

-- Audit 9: marketplace tenant links point at real tenants.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint
                 WHERE conrelid = 'marketplace.users'::regclass AND conname = 'users_tenant_id_fkey') THEN
    ALTER TABLE marketplace.users ADD CONSTRAINT users_tenant_id_fkey
      FOREIGN KEY (tenant_id) REFERENCES "Tenant"(id) ON DELETE SET NULL;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint
                 WHERE conrelid = 'marketplace.providers'::regclass AND conname = 'providers_tenant_id_fkey') THEN
    ALTER TABLE marketplace.providers ADD CONSTRAINT providers_tenant_id_fkey
      FOREIGN KEY (tenant_id) REFERENCES "Tenant"(id) ON DELETE SET NULL;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint
                 WHERE conrelid = 'marketplace.transactions'::regclass AND conname = 'transactions_tenant_id_fkey') THEN
    ALTER TABLE marketplace.transactions ADD CONSTRAINT transactions_tenant_id_fkey
      FOREIGN KEY (tenant_id) REFERENCES "Tenant"(id) ON DELETE RESTRICT;
  END IF;
END
$$;

-- Audit 12: Stripe ids run up to 255 characters (widening a varchar is catalog-only, no rewrite).
ALTER TABLE marketplace.invoices
  ALTER COLUMN stripe_invoice_id TYPE VARCHAR(255),
  ALTER COLUMN stripe_payment_intent_id TYPE VARCHAR(255);

-- Audit 10: store instants, not wall-clock readings. Every marketplace TIMESTAMP column becomes
-- TIMESTAMPTZ, existing values read as UTC; one ALTER TABLE (one rewrite) per table, and only for
-- columns not yet converted, so a second run changes nothing. The tables are new and small.
DO $$
DECLARE
  target record;
BEGIN
  FOR target IN
    SELECT c.table_name,
           string_agg(format('ALTER COLUMN %I TYPE timestamptz USING %I AT TIME ZONE %L',
                             c.column_name, c.column_name, 'UTC'), ', ' ORDER BY c.ordinal_position) AS clauses
    FROM information_schema.columns AS c
    WHERE c.table_schema = 'marketplace' AND c.data_type = 'timestamp without time zone'
    GROUP BY c.table_name
  LOOP
    EXECUTE format('ALTER TABLE marketplace.%I %s', target.table_name, target.clauses);
  END LOOP;
END
$$;
