-- Every index: key columns in order (NULL for an expression), which are DESC, the partial predicate,
-- and the constraint it backs (p primary key, u unique, x exclusion), if any.
SELECT n.nspname AS schema_name, t.relname AS table_name, i.relname AS index_name,
       ix.indisunique AS is_unique, ix.indisprimary AS is_primary,
       ARRAY(
         SELECT a.attname
         FROM unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
         LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
         WHERE k.ord <= ix.indnkeyatts
         ORDER BY k.ord
       ) AS column_names,
       ARRAY(
         SELECT (o.option & 1) = 1
         FROM unnest(ix.indoption::int2[]) WITH ORDINALITY AS o(option, ord)
         WHERE o.ord <= ix.indnkeyatts
         ORDER BY o.ord
       ) AS descending,
       pg_catalog.pg_get_expr(ix.indpred, ix.indrelid) AS predicate,
       ix.indexprs IS NOT NULL AS has_expressions,
       am.amname AS method,
       con.contype::text AS constraint_type,
       pg_catalog.pg_get_indexdef(ix.indexrelid) AS definition
FROM pg_catalog.pg_index ix
JOIN pg_catalog.pg_class i ON i.oid = ix.indexrelid
JOIN pg_catalog.pg_class t ON t.oid = ix.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace
JOIN pg_catalog.pg_am am ON am.oid = i.relam
LEFT JOIN pg_catalog.pg_constraint con ON con.conindid = ix.indexrelid AND con.contype IN ('p', 'u', 'x')
WHERE t.relkind IN ('r', 'p') AND n.nspname = ANY(%(schemas)s)
ORDER BY 1, 2, 3
