-- CHECK, FOREIGN KEY and EXCLUDE constraints (primary keys and uniques come with their indexes).
SELECT n.nspname AS schema_name, t.relname AS table_name, con.conname AS constraint_name,
       con.contype::text AS constraint_type,
       pg_catalog.pg_get_constraintdef(con.oid) AS definition,
       ARRAY(
         SELECT a.attname
         FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
         JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
         ORDER BY k.ord
       ) AS column_names,
       rn.nspname AS referenced_schema, rt.relname AS referenced_table,
       ARRAY(
         SELECT a.attname
         FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
         JOIN pg_catalog.pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum
         ORDER BY k.ord
       ) AS referenced_columns,
       con.confdeltype::text AS on_delete, con.confupdtype::text AS on_update
FROM pg_catalog.pg_constraint con
JOIN pg_catalog.pg_class t ON t.oid = con.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace
LEFT JOIN pg_catalog.pg_class rt ON rt.oid = con.confrelid
LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = rt.relnamespace
WHERE con.contype IN ('c', 'f', 'x') AND n.nspname = ANY(%(schemas)s)
ORDER BY 1, 2, 3
