-- One row per user table: planner row estimate, total size (heap + indexes + TOAST) and primary-key columns.
SELECT n.nspname AS schema_name,
       c.relname AS table_name,
       greatest(c.reltuples, 0)::bigint AS estimated_rows,
       pg_catalog.pg_total_relation_size(c.oid) AS total_bytes,
       pg_catalog.pg_relation_size(c.oid) AS heap_bytes,
       coalesce((SELECT array_agg(a.attname ORDER BY k.ordinality)
                 FROM pg_catalog.pg_constraint AS pk
                 CROSS JOIN LATERAL unnest(pk.conkey) WITH ORDINALITY AS k(attnum, ordinality)
                 JOIN pg_catalog.pg_attribute AS a ON a.attrelid = c.oid AND a.attnum = k.attnum
                 WHERE pk.conrelid = c.oid AND pk.contype = 'p'), '{}') AS primary_key
FROM pg_catalog.pg_class AS c
JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
ORDER BY n.nspname, c.relname
