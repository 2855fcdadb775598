-- V011 unique-without-tenant: unique indexes and constraints on tenant tables (the primary key excepted) that
-- do not include the tenant column: one tenant's value blocks every other tenant's, and the error tells
-- tenant A that tenant B has it.
SELECT 'V011' AS rule,
       jsonb_build_array(t.schema_name, t.table_name,
                         (SELECT relname::text FROM pg_catalog.pg_class WHERE oid = i.indexrelid),
                         t.tenant_column, t.adopted,
                         pg_catalog.pg_get_indexdef(i.indexrelid)) AS detail
FROM idx AS i
JOIN tenant AS t ON t.oid = i.indrelid
WHERE i.is_unique AND NOT i.is_primary
  AND NOT (t.tenant_attnum = ANY (i.indkey::int2[]))
