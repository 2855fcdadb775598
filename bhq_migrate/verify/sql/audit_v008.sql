-- V008 rls-not-forced: tenant tables without row-level security ENABLEd, or without FORCE (the owner bypasses).
SELECT 'V008' AS rule,
       jsonb_build_array(t.schema_name, t.table_name, t.rls, t.forced, t.adopted,
                         (SELECT count(*) FROM pg_catalog.pg_policy AS p WHERE p.polrelid = t.oid)) AS detail
FROM tenant AS t
WHERE NOT (t.rls AND t.forced)
