-- description: Critical production fixes (seed plan, Phase 1): BIGINT money, soft deletes, Contact
--   tenant/marketplace unique key, performance indexes, marketplace payment fields.
-- transactional: true
--
-- Same objects and definitions as the seed's Phase 1, corrected to run on PostgreSQL 15:
-- no BEGIN/COMMIT (the runner owns the transaction), every statement re-runnable, the three
-- "Invoice" retypes merged into one ALTER TABLE (one table rewrite instead of three), and the
-- CHECK constraint guarded in a DO block (PostgreSQL has no ADD CONSTRAINT IF NOT EXISTS).

-- FIX #1: currency overflow prevention (INT -> BIGINT). One rewrite of "Payment", one of "Invoice".
-- "Payment" goes first: a payment INSERT locks "Payment" and then (for its foreign key) "Invoice". Taking the
-- locks in that same order means a live writer waits instead of deadlocking with the migration.
-- bhq-migrate-ignore changing-column-type -- the retype is the point of the plan
ALTER TABLE "Payment" ALTER COLUMN "amountCents" TYPE BIGINT;

-- bhq-migrate-ignore changing-column-type -- the retype is the point of the plan; merged to rewrite once
ALTER TABLE "Invoice"
  ALTER COLUMN "amountCents" TYPE BIGINT,
  ALTER COLUMN "balanceCents" TYPE BIGINT,
  ALTER COLUMN "depositCents" TYPE BIGINT;

-- FIX #2: soft deletes.
ALTER TABLE "Invoice" ADD COLUMN IF NOT EXISTS "deletedAt" TIMESTAMP;
ALTER TABLE "Contact" ADD COLUMN IF NOT EXISTS "deletedAt" TIMESTAMP;
ALTER TABLE "Animal" ADD COLUMN IF NOT EXISTS "deletedAt" TIMESTAMP;

CREATE INDEX IF NOT EXISTS "Invoice_deletedAt_idx"
  ON "Invoice"("deletedAt")
  WHERE "deletedAt" IS NULL;

CREATE INDEX IF NOT EXISTS "Contact_deletedAt_idx"
  ON "Contact"("deletedAt")
  WHERE "deletedAt" IS NULL;

-- FIX #3: one marketplace user per tenant's contact list. Pre-flight refuses to start while
-- duplicate ("marketplaceUserId", "tenantId") pairs exist, and lists them.
DROP INDEX IF EXISTS "Contact_marketplaceUserId_idx";

CREATE UNIQUE INDEX IF NOT EXISTS "Contact_marketplaceUserId_tenantId_key"
  ON "Contact"("marketplaceUserId", "tenantId")
  WHERE "marketplaceUserId" IS NOT NULL;

-- FIX #4: performance indexes.
CREATE INDEX IF NOT EXISTS "Invoice_tenantId_status_createdAt_idx"
  ON "Invoice"("tenantId", "status", "createdAt" DESC);

CREATE INDEX IF NOT EXISTS "Invoice_clientPartyId_status_idx"
  ON "Invoice"("clientPartyId", "status")
  WHERE "clientPartyId" IS NOT NULL;

CREATE INDEX IF NOT EXISTS "Contact_tenantId_deletedAt_idx"
  ON "Contact"("tenantId", "deletedAt")
  WHERE "deletedAt" IS NULL;

-- Declared only by the seed's Prisma model (Payment @@index([invoiceId, status])); the SQL forgot it.
CREATE INDEX IF NOT EXISTS "Payment_invoiceId_status_idx"
  ON "Payment"("invoiceId", "status");

-- FIX #5: marketplace payment fields.
ALTER TABLE "Tenant" ADD COLUMN IF NOT EXISTS "marketplacePaymentMode" VARCHAR(50) DEFAULT 'manual';

DO $$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM pg_catalog.pg_constraint
    WHERE conrelid = '"Tenant"'::regclass AND conname = 'Tenant_marketplacePaymentMode_check'
  ) THEN
    ALTER TABLE "Tenant" ADD CONSTRAINT "Tenant_marketplacePaymentMode_check"
      CHECK ("marketplacePaymentMode" IN ('stripe', 'manual', 'disabled'));
  END IF;
END
$$;

ALTER TABLE "Tenant" ADD COLUMN IF NOT EXISTS "stripeConnectAccountId" VARCHAR(255);
ALTER TABLE "Tenant" ADD COLUMN IF NOT EXISTS "stripeConnectOnboardingComplete" BOOLEAN DEFAULT FALSE;
ALTER TABLE "Tenant" ADD COLUMN IF NOT EXISTS "stripeConnectPayoutsEnabled" BOOLEAN DEFAULT FALSE;

-- Contact marketplace tracking
ALTER TABLE "Contact" ADD COLUMN IF NOT EXISTS "marketplaceFirstContactedAt" TIMESTAMP;
ALTER TABLE "Contact" ADD COLUMN IF NOT EXISTS "marketplaceTotalTransactions" INTEGER DEFAULT 0;
ALTER TABLE "Contact" ADD COLUMN IF NOT EXISTS "marketplaceTotalSpentCents" BIGINT DEFAULT 0;

-- Invoice marketplace fields
ALTER TABLE "Invoice" ADD COLUMN IF NOT EXISTS "isMarketplaceInvoice" BOOLEAN DEFAULT FALSE;
ALTER TABLE "Invoice" ADD COLUMN IF NOT EXISTS "marketplaceTransactionId" INTEGER;
ALTER TABLE "Invoice" ADD COLUMN IF NOT EXISTS "paymentModeSnapshot" VARCHAR(50);
ALTER TABLE "Invoice" ADD COLUMN IF NOT EXISTS "stripeInvoiceId" VARCHAR(255);
ALTER TABLE "Invoice" ADD COLUMN IF NOT EXISTS "stripePaymentIntentId" VARCHAR(255);

-- Manual payment tracking
ALTER TABLE "Invoice" ADD COLUMN IF NOT EXISTS "buyerMarkedPaidAt" TIMESTAMP;
ALTER TABLE "Invoice" ADD COLUMN IF NOT EXISTS "buyerPaymentMethod" VARCHAR(50);
ALTER TABLE "Invoice" ADD COLUMN IF NOT EXISTS "buyerPaymentReference" VARCHAR(255);
ALTER TABLE "Invoice" ADD COLUMN IF NOT EXISTS "providerConfirmedAt" TIMESTAMP;
ALTER TABLE "Invoice" ADD COLUMN IF NOT EXISTS "providerConfirmedBy" INTEGER;

-- Partial refunds
ALTER TABLE "Invoice" ADD COLUMN IF NOT EXISTS "refundedCents" BIGINT DEFAULT 0;

-- Indexes for marketplace invoices
CREATE INDEX IF NOT EXISTS "Invoice_marketplace_idx"
  ON "Invoice"("tenantId", "isMarketplaceInvoice", "status")
  WHERE "isMarketplaceInvoice" = TRUE;

CREATE INDEX IF NOT EXISTS "Invoice_stripe_idx"
  ON "Invoice"("stripeInvoiceId")
  WHERE "stripeInvoiceId" IS NOT NULL;
