-- The existing table behind each name a transaction's statements lock, in the order given: the table itself,
-- or an index's table (DROP INDEX locks its table). Names that do not exist yet (the plan creates them) and
-- non-tables yield no row. Reads pg_class, pg_namespace and pg_index only, so it takes no table lock.
SELECT t.ord::int AS position, format('%%I.%%I', tn.nspname, tc.relname) AS table_name
FROM unnest(%(schemas)s::text[], %(names)s::text[]) WITH ORDINALITY AS t(schema_name, rel_name, ord)
JOIN pg_catalog.pg_namespace AS n ON n.nspname = t.schema_name
JOIN pg_catalog.pg_class AS r ON r.relnamespace = n.oid AND r.relname = t.rel_name
LEFT JOIN pg_catalog.pg_index AS i ON i.indexrelid = r.oid
JOIN pg_catalog.pg_class AS tc ON tc.oid = coalesce(i.indrelid, r.oid)
JOIN pg_catalog.pg_namespace AS tn ON tn.oid = tc.relnamespace
WHERE tc.relkind IN ('r', 'p')
ORDER BY t.ord
