-- description: Optional tenant isolation: row-level security on every "tenantId" table, fail closed, and
--   same-tenant composite foreign keys between tenant tables.
-- optional: explicit
-- transactional: true
-- depends: 001 002
--
-- Applied only when named (`bhq-migrate apply --only 004`); `--with-optional` does not include it, because
-- once it commits an application that does not set the tenant sees no rows at all (it fails closed).
-- README.md "Tenant isolation (plan 004)" has the Prisma side. Re-runnable: every step checks first.
--
-- Every statement names its table, so lint, `plan` and `apply --online` see what it locks: under --online the
-- unique indexes are built CONCURRENTLY and the foreign keys are added NOT VALID, then validated in their own
-- step (README.md "Online apply"). The tenant tables are the baseline's four ("Animal", "Contact", "Invoice",
-- "Payment"); the pre-flight refuses, listing them, any other table with a "tenantId" column or any other
-- foreign key between tenant tables, because this plan would leave it unprotected. Add its statements to a
-- copy of this plan (the pattern is the same for every table) rather than applying a partial isolation.

-- Pre-flight, before anything changes. It runs with row_security off: if the running role were subject to a
-- policy (an owner without BYPASSRLS on a re-run), its counts would silently be short; with row_security off
-- such a query fails instead. Transaction-local: it ends with the plan (under --online, with this step).
-- 1. Tables and foreign keys this plan does not cover. 2. A composite ("tenantId", <column>) -> ("tenantId",
-- id) foreign key cannot be added while a row references a row of another tenant: count them per key and
-- refuse, listing up to 10 per key.
DO $$
DECLARE
  uncovered text;
  total bigint;
  listing text;
BEGIN
  PERFORM pg_catalog.set_config('row_security', 'off', true);

  SELECT string_agg(item, '; ' ORDER BY item) INTO uncovered FROM (
    SELECT format('table %s', c.oid::regclass) AS item
    FROM pg_catalog.pg_class AS c
    JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
    JOIN pg_catalog.pg_attribute AS a ON a.attrelid = c.oid AND a.attname = 'tenantId' AND NOT a.attisdropped
    WHERE c.relkind IN ('r', 'p')
      AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'bhq_migrate') AND n.nspname !~ '^pg_'
      AND c.oid NOT IN ('public."Animal"'::regclass, 'public."Contact"'::regclass, 'public."Invoice"'::regclass,
                        'public."Payment"'::regclass)
    UNION ALL
    SELECT format('foreign key %s.%s', con.conrelid::regclass, con.conname)
    FROM pg_catalog.pg_constraint AS con
    JOIN pg_catalog.pg_attribute AS a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1]
    JOIN pg_catalog.pg_attribute AS ra ON ra.attrelid = con.confrelid AND ra.attnum = con.confkey[1]
    WHERE con.contype = 'f' AND cardinality(con.conkey) = 1 AND a.attname <> 'tenantId'
      AND EXISTS (SELECT 1 FROM pg_catalog.pg_attribute AS t WHERE t.attrelid = con.conrelid
                  AND t.attname = 'tenantId' AND NOT t.attisdropped)
      AND EXISTS (SELECT 1 FROM pg_catalog.pg_attribute AS t WHERE t.attrelid = con.confrelid
                  AND t.attname = 'tenantId' AND NOT t.attisdropped)
      AND con.connamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
      AND (con.conrelid, a.attname::text, con.confrelid, ra.attname::text) NOT IN (
            ('public."Invoice"'::regclass, 'clientPartyId', 'public."Contact"'::regclass, 'id'),
            ('public."Payment"'::regclass, 'invoiceId', 'public."Invoice"'::regclass, 'id'))
  ) AS items;
  -- A failed CREATE INDEX CONCURRENTLY leaves an INVALID index that IF NOT EXISTS below would keep, and that no
  -- foreign key can use. Dropping it here would take ACCESS EXCLUSIVE for the rest of a plain apply.
  SELECT string_agg(format('index %s is INVALID (a failed concurrent build): DROP INDEX CONCURRENTLY it',
                           i.indexrelid::regclass), '; ' ORDER BY i.indexrelid::regclass::text) INTO listing
  FROM pg_catalog.pg_index AS i
  WHERE i.indexrelid IN (to_regclass('public."Contact_tenantId_id_key"'), to_regclass('public."Invoice_tenantId_id_key"'))
    AND NOT i.indisvalid;
  IF listing IS NOT NULL THEN
    RAISE EXCEPTION 'pre-flight: %', listing USING HINT = 'nothing was changed';
  END IF;

  IF uncovered IS NOT NULL THEN
    RAISE EXCEPTION 'pre-flight: plan 004 does not cover %', uncovered
      USING HINT = 'it would be left without row-level security or a same-tenant key; add its statements to a '
                   'copy of this plan (README.md, "Tenant isolation"); nothing was changed';
  END IF;

  WITH cross_tenant AS (
    SELECT '"Invoice".Invoice_clientPartyId_fkey' AS fk,
           format('  "Invoice" (id)=(%s): "tenantId" %s -> "Contact" id=%s of "tenantId" %s',
                  c.id, c."tenantId", c."clientPartyId", p."tenantId") AS line, c.id
    FROM public."Invoice" AS c JOIN public."Contact" AS p ON p.id = c."clientPartyId"
    WHERE c."tenantId" IS DISTINCT FROM p."tenantId"
    UNION ALL
    SELECT '"Payment".Payment_invoiceId_fkey',
           format('  "Payment" (id)=(%s): "tenantId" %s -> "Invoice" id=%s of "tenantId" %s',
                  c.id, c."tenantId", c."invoiceId", p."tenantId"), c.id
    FROM public."Payment" AS c JOIN public."Invoice" AS p ON p.id = c."invoiceId"
    WHERE c."tenantId" IS DISTINCT FROM p."tenantId"
  ), per_key AS (
    SELECT fk, count(*) AS rows_found,
           string_agg(line, E'\n' ORDER BY id) FILTER (WHERE rn <= 10) AS sample
    FROM (SELECT *, row_number() OVER (PARTITION BY fk ORDER BY id) AS rn FROM cross_tenant) AS numbered
    GROUP BY fk
  )
  SELECT sum(rows_found), string_agg(format(E'%s (%s rows):\n%s', fk, rows_found, sample), E'\n' ORDER BY fk)
    INTO total, listing FROM per_key;
  IF total > 0 THEN
    RAISE EXCEPTION 'pre-flight: % cross-tenant reference(s) between tenant tables; fix or remove them first', total
      USING DETAIL = listing,
            HINT = 'each row must reference a row of its own tenant; nothing was changed';
  END IF;
END
$$;

-- The current tenant: NULL when no tenant is set. current_setting(..., true) is NULL when the setting was
-- never set in this session, and '' once a transaction-local set_config(..., true) has ended on a pooled
-- connection: both mean "no tenant". A non-integer value is an error, never a match. STABLE; search_path
-- pinned so no schema on the caller's path can shadow what it calls. For application SQL and ad-hoc queries.
CREATE OR REPLACE FUNCTION public.current_tenant_id() RETURNS integer
  LANGUAGE sql STABLE PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
  AS $fn$ SELECT NULLIF(current_setting('app.tenant_id', true), '')::integer $fn$;

-- Trusted jobs (migrations, admin tasks) that must work across tenants: a NOLOGIN role with BYPASSRLS, never a
-- policy that reads an application-controlled flag. Role attributes are not inherited, so a job runs
-- `SET ROLE bhq_tenant_bypass` (after `GRANT bhq_tenant_bypass TO <job login>`). Only a superuser may create a
-- BYPASSRLS role (PostgreSQL 16: a CREATEROLE role that has BYPASSRLS itself); otherwise the plan says so in a
-- WARNING (apply shows it) and goes on: a DBA can create it later and rerun the GRANT below by hand.
DO $$
DECLARE
  may_create boolean;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'bhq_tenant_bypass') THEN
    SELECT rolsuper OR (rolcreaterole AND rolbypassrls AND current_setting('server_version_num')::int >= 160000)
      INTO may_create FROM pg_catalog.pg_roles WHERE rolname = current_user;
    IF may_create THEN
      CREATE ROLE bhq_tenant_bypass NOLOGIN BYPASSRLS;
    ELSE
      RAISE WARNING 'bhq_tenant_bypass not created: role % may not create a BYPASSRLS role; a superuser can '
                    'create it and grant it DML on the tenant tables (README.md, "Tenant isolation")', current_user;
      RETURN;
    END IF;
  END IF;
  GRANT SELECT, INSERT, UPDATE, DELETE ON public."Animal", public."Contact", public."Invoice", public."Payment"
    TO bhq_tenant_bypass;
END
$$;

-- Same-tenant references: for each single-column foreign key between two tenant tables, a composite key on
-- ("tenantId", <column>) referencing ("tenantId", id), and the unique index it needs. The original key stays
-- (nothing of 001-003 or the baseline changes). Actions mirror the original; ON DELETE SET NULL names only the
-- reference column (PostgreSQL 15), since "tenantId" is NOT NULL; ON UPDATE CASCADE as the original.
-- Plain apply builds the indexes in the plan's transaction (a SHARE lock: writes to the table wait for the
-- build) and checks every row while it adds the keys; `apply --online` builds them CONCURRENTLY (SHARE UPDATE
-- EXCLUSIVE: reads and writes go on), adds the keys NOT VALID (a catalog change) and validates each in its own
-- step. An INVALID index of that name (a failed CREATE INDEX CONCURRENTLY) is refused by the pre-flight.
-- bhq-migrate-ignore unique-index-counts-soft-deleted -- ("tenantId", id) holds the primary key: one row per key
CREATE UNIQUE INDEX IF NOT EXISTS "Contact_tenantId_id_key" ON public."Contact" ("tenantId", id);

-- bhq-migrate-ignore unique-index-counts-soft-deleted -- ("tenantId", id) holds the primary key: one row per key
CREATE UNIQUE INDEX IF NOT EXISTS "Invoice_tenantId_id_key" ON public."Invoice" ("tenantId", id);

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = 'public."Invoice"'::regclass
                 AND conname = 'Invoice_tenantId_clientPartyId_fkey') THEN
    ALTER TABLE public."Invoice" ADD CONSTRAINT "Invoice_tenantId_clientPartyId_fkey"
      FOREIGN KEY ("tenantId", "clientPartyId") REFERENCES public."Contact" ("tenantId", id)
      ON DELETE SET NULL ("clientPartyId") ON UPDATE CASCADE;
  END IF;
END
$$;

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = 'public."Payment"'::regclass
                 AND conname = 'Payment_tenantId_invoiceId_fkey') THEN
    ALTER TABLE public."Payment" ADD CONSTRAINT "Payment_tenantId_invoiceId_fkey"
      FOREIGN KEY ("tenantId", "invoiceId") REFERENCES public."Invoice" ("tenantId", id)
      ON DELETE RESTRICT ON UPDATE CASCADE;
  END IF;
END
$$;

-- Row-level security on every tenant table: ENABLEd, and FORCEd so the table owner (often the migration or
-- application login) is bound too. One policy for all commands, with USING for the rows a statement sees and
-- WITH CHECK for the rows it writes. With no tenant the expression is NULL, the comparison is never true: no
-- row is visible and every write is refused (fail closed). Dropped and created again in the same transaction,
-- so a re-run leaves exactly this policy (under --online, each table's four statements are one step).
-- Last in the plan: ENABLE/FORCE and the policy take ACCESS EXCLUSIVE, which a plain apply holds until it
-- commits; placed after the index builds and key checks, it is held for milliseconds, not for their duration.
-- The policy spells out current_tenant_id()'s expression instead of calling it: a function with a SET clause
-- is never inlined, and the call cost 30-80 % at p50 on BreederHQ's 0.1 ms tenant lookups; inline, the cost
-- was 4-8 % on reads (bench/RESULTS.md). A policy is stored as a parse tree whose functions are resolved
-- when it is created (pg_catalog, named explicitly), so no search_path can change it later.

ALTER TABLE public."Animal" ENABLE ROW LEVEL SECURITY;
ALTER TABLE public."Animal" FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON public."Animal";
CREATE POLICY tenant_isolation ON public."Animal" AS PERMISSIVE FOR ALL TO PUBLIC
  USING ("tenantId" = NULLIF(pg_catalog.current_setting('app.tenant_id', true), '')::integer)
  WITH CHECK ("tenantId" = NULLIF(pg_catalog.current_setting('app.tenant_id', true), '')::integer);

ALTER TABLE public."Contact" ENABLE ROW LEVEL SECURITY;
ALTER TABLE public."Contact" FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON public."Contact";
CREATE POLICY tenant_isolation ON public."Contact" AS PERMISSIVE FOR ALL TO PUBLIC
  USING ("tenantId" = NULLIF(pg_catalog.current_setting('app.tenant_id', true), '')::integer)
  WITH CHECK ("tenantId" = NULLIF(pg_catalog.current_setting('app.tenant_id', true), '')::integer);

ALTER TABLE public."Invoice" ENABLE ROW LEVEL SECURITY;
ALTER TABLE public."Invoice" FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON public."Invoice";
CREATE POLICY tenant_isolation ON public."Invoice" AS PERMISSIVE FOR ALL TO PUBLIC
  USING ("tenantId" = NULLIF(pg_catalog.current_setting('app.tenant_id', true), '')::integer)
  WITH CHECK ("tenantId" = NULLIF(pg_catalog.current_setting('app.tenant_id', true), '')::integer);

ALTER TABLE public."Payment" ENABLE ROW LEVEL SECURITY;
ALTER TABLE public."Payment" FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON public."Payment";
CREATE POLICY tenant_isolation ON public."Payment" AS PERMISSIVE FOR ALL TO PUBLIC
  USING ("tenantId" = NULLIF(pg_catalog.current_setting('app.tenant_id', true), '')::integer)
  WITH CHECK ("tenantId" = NULLIF(pg_catalog.current_setting('app.tenant_id', true), '')::integer);
