-- Every column (and size facts) of the tables the pending plans touch, in one round trip.
-- A table that does not exist yields no row; a table with no columns yields one row with NULL attname.
SELECT n.nspname                                  AS schema_name,
       c.relname                                  AS table_name,
       a.attname                                  AS column_name,
       a.atttypid::oid::bigint                    AS type_oid,
       format_type(a.atttypid, a.atttypmod)       AS column_type,
       greatest(c.reltuples, 0)::bigint           AS estimated_rows,
       pg_total_relation_size(c.oid)::bigint      AS total_bytes,
       pg_relation_size(c.oid)::bigint            AS heap_bytes
FROM pg_catalog.pg_class AS c
JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_attribute AS a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relkind IN ('r', 'p')
  AND (n.nspname, c.relname) IN (SELECT * FROM unnest(%(schemas)s::text[], %(tables)s::text[]))
