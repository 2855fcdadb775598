-- V010 permissive-policy-too-wide: permissive policies on tenant tables whose USING or WITH CHECK is the
-- constant true, or that do not refer to the tenant column at all. Permissive policies are OR-ed, so one
-- such policy opens every row to every tenant. "Refers to" is read from pg_depend (the server records the
-- columns a policy's expressions use), not from the expression text.
SELECT 'V010' AS rule,
       jsonb_build_array(t.schema_name, t.table_name, p.polname::text, t.tenant_column,
                         pg_catalog.pg_get_expr(p.polqual, p.polrelid),
                         pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid),
                         CASE WHEN pg_catalog.pg_get_expr(p.polqual, p.polrelid) = 'true'
                                OR pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) = 'true'
                              THEN 'constant-true' ELSE 'no-tenant-column' END) AS detail
FROM tenant AS t
JOIN pg_catalog.pg_policy AS p ON p.polrelid = t.oid AND p.polpermissive
WHERE pg_catalog.pg_get_expr(p.polqual, p.polrelid) = 'true'
   OR pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) = 'true'
   OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend AS d
                  WHERE d.classid = 'pg_catalog.pg_policy'::pg_catalog.regclass AND d.objid = p.oid
                    AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refobjid = t.oid
                    AND d.refobjsubid = t.tenant_attnum)
