-- V002 invalid-index: indexes left INVALID or not ready (e.g. by a failed CREATE INDEX CONCURRENTLY).
SELECT 'V002' AS rule,
       jsonb_build_array(schema_name, table_name,
                         (SELECT relname::text FROM pg_catalog.pg_class WHERE oid = indexrelid),
                         is_valid, is_ready) AS detail
FROM idx
WHERE NOT is_valid OR NOT is_ready
