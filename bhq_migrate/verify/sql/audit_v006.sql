-- V006 timestamp-without-time-zone: per table, its timestamp-without-time-zone columns.
SELECT 'V006' AS rule,
       jsonb_build_array(r.schema_name, r.table_name, array_agg(c.column_name ORDER BY c.attnum)) AS detail
FROM col AS c
JOIN rel AS r ON r.oid = c.attrelid
WHERE c.atttypid = 'pg_catalog.timestamp'::pg_catalog.regtype
GROUP BY r.schema_name, r.table_name
