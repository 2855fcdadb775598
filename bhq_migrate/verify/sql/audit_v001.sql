-- V001 money-column-not-bigint: money-named columns (LIKE patterns from the configured globs) not bigint.
SELECT 'V001' AS rule, jsonb_build_array(r.schema_name, r.table_name, c.column_name,
                                         pg_catalog.format_type(c.atttypid, c.atttypmod)) AS detail
FROM col AS c
JOIN rel AS r ON r.oid = c.attrelid
WHERE c.atttypid <> 'pg_catalog.int8'::pg_catalog.regtype
  AND c.column_name LIKE ANY (%(money_patterns)s::text[])
