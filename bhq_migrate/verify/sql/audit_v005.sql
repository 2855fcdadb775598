-- V005 unique-counts-soft-deleted: unique indexes (not the primary key) on tables that have a soft-delete
-- column, whose predicate does not refer to that column (looked up in the stored parse tree).
SELECT DISTINCT ON (i.indexrelid) 'V005' AS rule,
       jsonb_build_array(i.schema_name, i.table_name,
                         (SELECT relname::text FROM pg_catalog.pg_class WHERE oid = i.indexrelid),
                         pg_catalog.pg_get_expr(i.indpred, i.indrelid), sd.column_name) AS detail
FROM idx AS i
JOIN col AS sd ON sd.attrelid = i.indrelid AND sd.column_name = ANY (%(soft_delete_columns)s::text[])
WHERE i.is_unique AND NOT i.is_primary
  AND (i.indpred IS NULL OR i.indpred::text !~ (':varattno ' || sd.attnum || ' '))
ORDER BY i.indexrelid, array_position(%(soft_delete_columns)s::text[], sd.column_name)
