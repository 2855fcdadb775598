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
-- The tables are found in the catalog (every table with a "tenantId" column), so a table added after the
-- seed is covered too; tests/migrate/test_isolation.py checks what the loops do.

-- Errors instead of silently filtered rows: if the running role were subject to a policy (an owner without
-- BYPASSRLS on a re-run), the pre-flight below would count fewer rows than exist. With row_security off,
-- such a query fails instead. Transaction-local: it ends with the plan.
SELECT pg_catalog.set_config('row_security', 'off', true);

-- Pre-flight: a composite ("tenantId", <column>) -> ("tenantId", id) foreign key cannot be added while a row
-- references a row of another tenant. Count them for every single-column foreign key between two tenant
-- tables, and refuse, listing up to 10 per key, before anything changes.
DO $$
DECLARE
  fk record;
  found bigint;
  total bigint := 0;
  listing text := '';
  sample text;
BEGIN
  FOR fk IN
    SELECT con.conname::text AS name, con.conrelid::regclass AS child, con.confrelid::regclass AS parent,
           a.attname::text AS col, ra.attname::text AS ref_col,
           (SELECT string_agg(quote_ident(pa.attname), ', ' ORDER BY k.ord)
            FROM pg_catalog.pg_constraint AS pk CROSS JOIN LATERAL unnest(pk.conkey) WITH ORDINALITY AS k(attnum, ord)
            JOIN pg_catalog.pg_attribute AS pa ON pa.attrelid = pk.conrelid AND pa.attnum = k.attnum
            WHERE pk.conrelid = con.conrelid AND pk.contype = 'p') AS child_key
    FROM pg_catalog.pg_constraint AS con
    JOIN pg_catalog.pg_attribute AS a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1]
    JOIN pg_catalog.pg_attribute AS ra ON ra.attrelid = con.confrelid AND ra.attnum = con.confkey[1]
    WHERE con.contype = 'f' AND cardinality(con.conkey) = 1 AND a.attname <> 'tenantId'
      AND con.conrelid <> con.confrelid
      AND EXISTS (SELECT 1 FROM pg_catalog.pg_attribute AS t WHERE t.attrelid = con.conrelid
                  AND t.attname = 'tenantId' AND NOT t.attisdropped)
      AND EXISTS (SELECT 1 FROM pg_catalog.pg_attribute AS t WHERE t.attrelid = con.confrelid
                  AND t.attname = 'tenantId' AND NOT t.attisdropped)
      AND con.connamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
    ORDER BY 2::text, 1
  LOOP
    EXECUTE format(
      'SELECT count(*), string_agg(line, E''\n'') FILTER (WHERE rn <= 10) FROM ('
      '  SELECT row_number() OVER (ORDER BY c.%2$I) AS rn,'
      '         format(''  %%s (%%s)=(%%s): "tenantId" %%s -> %%s %%s=%%s of "tenantId" %%s'','
      '                %1$L, %6$L, concat_ws('', '', %7$s), c."tenantId", %3$L, %4$L, c.%2$I, p."tenantId") AS line'
      '  FROM %5$s AS c JOIN %3$s AS p ON p.%4$I = c.%2$I'
      '  WHERE c."tenantId" IS DISTINCT FROM p."tenantId") AS cross_tenant',
      fk.child, fk.col, fk.parent, fk.ref_col, fk.child, coalesce(fk.child_key, 'ctid'),
      coalesce((SELECT string_agg('c.' || part, ', ') FROM unnest(string_to_array(fk.child_key, ', ')) AS part),
               'c.ctid'))
      INTO found, sample;
    IF found > 0 THEN
      total := total + found;
      listing := listing || format(E'%s.%s (%s rows):\n%s\n', fk.child, fk.name, found, sample);
    END IF;
  END LOOP;
  IF total > 0 THEN
    RAISE EXCEPTION 'pre-flight: % cross-tenant reference(s) between tenant tables; fix or remove them first', total
      USING DETAIL = rtrim(listing, E'\n'),
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

-- Row-level security on every table with a "tenantId" column: ENABLEd, and FORCEd so the table owner (often
-- the migration or application login) is bound too. One policy for all commands, with USING for the rows a
-- statement sees and WITH CHECK for the rows it writes. With no tenant the expression is NULL, the comparison
-- is never true: no row is visible and every write is refused (fail closed).
-- The policy spells out current_tenant_id()'s expression instead of calling it: a function with a SET clause
-- is never inlined, and the call cost 30-80 % at p50 on BreederHQ's 0.1 ms tenant lookups; inline, the cost
-- was within noise (bench/RESULTS.md). A policy is stored as a parse tree whose functions are resolved
-- when it is created (pg_catalog, named explicitly), so no search_path can change it later.
DO $$
DECLARE
  t record;
  isolation text := '"tenantId" = NULLIF(pg_catalog.current_setting(''app.tenant_id'', true), '''')::integer';
BEGIN
  FOR t IN
    SELECT c.oid::regclass AS rel
    FROM pg_catalog.pg_class AS c
    JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
    JOIN pg_catalog.pg_attribute AS a ON a.attrelid = c.oid AND a.attname = 'tenantId' AND NOT a.attisdropped
    WHERE c.relkind IN ('r', 'p')
      AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'bhq_migrate') AND n.nspname !~ '^pg_'
    ORDER BY 1::text
  LOOP
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t.rel);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', t.rel);
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_policy WHERE polrelid = t.rel AND polname = 'tenant_isolation') THEN
      EXECUTE format('ALTER POLICY tenant_isolation ON %s TO PUBLIC USING (%s) WITH CHECK (%s)',
                     t.rel, isolation, isolation);
    ELSE
      EXECUTE format('CREATE POLICY tenant_isolation ON %s AS PERMISSIVE FOR ALL TO PUBLIC USING (%s) WITH CHECK (%s)',
                     t.rel, isolation, isolation);
    END IF;
  END LOOP;
END
$$;

-- Trusted jobs (migrations, admin tasks) that must work across tenants: a NOLOGIN role with BYPASSRLS, never a
-- policy that reads an application-controlled flag. Role attributes are not inherited, so a job runs
-- `SET ROLE bhq_tenant_bypass` (after `GRANT bhq_tenant_bypass TO <job login>`). Only a superuser may create a
-- BYPASSRLS role (PostgreSQL 16: a CREATEROLE role that has BYPASSRLS itself); otherwise the plan says so and
-- goes on: a DBA can create it later and rerun the GRANT below by hand.
DO $$
DECLARE
  t record;
  may_create boolean;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'bhq_tenant_bypass') THEN
    SELECT rolsuper OR (rolcreaterole AND rolbypassrls AND current_setting('server_version_num')::int >= 160000)
      INTO may_create FROM pg_catalog.pg_roles WHERE rolname = current_user;
    IF may_create THEN
      CREATE ROLE bhq_tenant_bypass NOLOGIN BYPASSRLS;
    ELSE
      RAISE NOTICE 'bhq_tenant_bypass not created: role % may not create a BYPASSRLS role', current_user;
      RETURN;
    END IF;
  END IF;
  FOR t IN
    SELECT c.oid::regclass AS rel
    FROM pg_catalog.pg_class AS c
    JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
    JOIN pg_catalog.pg_attribute AS a ON a.attrelid = c.oid AND a.attname = 'tenantId' AND NOT a.attisdropped
    WHERE c.relkind IN ('r', 'p')
      AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'bhq_migrate') AND n.nspname !~ '^pg_'
  LOOP
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO bhq_tenant_bypass', t.rel);
  END LOOP;
END
$$;

-- Same-tenant references: for each single-column foreign key between two tenant tables, a composite key on
-- ("tenantId", <column>) referencing ("tenantId", <referenced column>), and the unique index it needs. The
-- original key stays (nothing of 001-003 or the baseline changes). Actions mirror the original; ON DELETE SET
-- NULL names only the reference column (PostgreSQL 15), since "tenantId" is NOT NULL.
-- The unique index is built in this transaction (a SHARE lock on the referenced table: writes wait for the
-- build). On a large table, build it first with CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS and the name
-- below; this plan then reuses it (README.md "Tenant isolation (plan 004)").
DO $$
DECLARE
  fk record;
  index_name text;
  fk_name text;
  on_delete text;
  on_update text;
BEGIN
  FOR fk IN
    SELECT con.conname::text AS name, con.conrelid::regclass AS child, con.confrelid::regclass AS parent,
           cc.relname::text AS child_name, pc.relname::text AS parent_name, pn.nspname::text AS parent_schema,
           a.attname::text AS col, ra.attname::text AS ref_col, con.confdeltype, con.confupdtype
    FROM pg_catalog.pg_constraint AS con
    JOIN pg_catalog.pg_class AS cc ON cc.oid = con.conrelid
    JOIN pg_catalog.pg_class AS pc ON pc.oid = con.confrelid
    JOIN pg_catalog.pg_namespace AS pn ON pn.oid = pc.relnamespace
    JOIN pg_catalog.pg_attribute AS a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1]
    JOIN pg_catalog.pg_attribute AS ra ON ra.attrelid = con.confrelid AND ra.attnum = con.confkey[1]
    WHERE con.contype = 'f' AND cardinality(con.conkey) = 1 AND a.attname <> 'tenantId'
      AND con.conrelid <> con.confrelid
      AND EXISTS (SELECT 1 FROM pg_catalog.pg_attribute AS t WHERE t.attrelid = con.conrelid
                  AND t.attname = 'tenantId' AND NOT t.attisdropped)
      AND EXISTS (SELECT 1 FROM pg_catalog.pg_attribute AS t WHERE t.attrelid = con.confrelid
                  AND t.attname = 'tenantId' AND NOT t.attisdropped)
      AND con.connamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
    ORDER BY 2::text, 1
  LOOP
    index_name := left(format('%s_tenantId_%s_key', fk.parent_name, fk.ref_col), 63);
    -- A concurrent build that failed leaves an INVALID index that IF NOT EXISTS would keep.
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_index AS i
               WHERE i.indexrelid = to_regclass(format('%I.%I', fk.parent_schema, index_name)) AND NOT i.indisvalid) THEN
      EXECUTE format('DROP INDEX %I.%I', fk.parent_schema, index_name);
    END IF;
    EXECUTE format('CREATE UNIQUE INDEX IF NOT EXISTS %I ON %s ("tenantId", %I)', index_name, fk.parent, fk.ref_col);

    fk_name := left(format('%s_tenantId_%s_fkey', fk.child_name, fk.col), 63);
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = fk.child AND conname = fk_name) THEN
      on_delete := CASE fk.confdeltype WHEN 'c' THEN 'CASCADE' WHEN 'r' THEN 'RESTRICT'
                     WHEN 'n' THEN format('SET NULL (%I)', fk.col) WHEN 'd' THEN format('SET DEFAULT (%I)', fk.col)
                     ELSE 'NO ACTION' END;
      -- SET NULL / SET DEFAULT on update would touch "tenantId" too: keep the check, not the action.
      on_update := CASE fk.confupdtype WHEN 'c' THEN 'CASCADE' WHEN 'r' THEN 'RESTRICT' ELSE 'NO ACTION' END;
      EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I FOREIGN KEY ("tenantId", %I) REFERENCES %s ("tenantId", %I) '
                     'ON DELETE %s ON UPDATE %s NOT VALID',
                     fk.child, fk_name, fk.col, fk.parent, fk.ref_col, on_delete, on_update);
      EXECUTE format('ALTER TABLE %s VALIDATE CONSTRAINT %I', fk.child, fk_name);
    END IF;
  END LOOP;
END
$$;
