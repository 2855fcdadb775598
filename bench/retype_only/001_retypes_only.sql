-- description: Only plan 001's money retypes, to measure the retype itself (bench/apply_large.py --plans-dir).
-- transactional: true

-- bhq-migrate-ignore changing-column-type -- the retype is what is measured
ALTER TABLE "Payment" ALTER COLUMN "amountCents" TYPE BIGINT;

-- bhq-migrate-ignore changing-column-type -- the retype is what is measured
ALTER TABLE "Invoice"
  ALTER COLUMN "amountCents" TYPE BIGINT,
  ALTER COLUMN "balanceCents" TYPE BIGINT,
  ALTER COLUMN "depositCents" TYPE BIGINT;
