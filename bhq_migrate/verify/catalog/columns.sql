-- Every ordinary and partitioned table in scope with its columns, one row per column (a table without
-- columns gives one row with NULL column fields). Set-based: one round trip whatever the table count.
SELECT n.nspname::text                              AS schema_name,
       c.relname::text                              AS table_name,
       a.attnum                                     AS position,
       a.attname::text                              AS column_name,
       pg_catalog.format_type(a.atttypid, a.atttypmod) AS column_type,
       a.attnotnull                                 AS not_null,
       pg_catalog.pg_get_expr(d.adbin, d.adrelid)   AS column_default
FROM pg_catalog.pg_class AS c
JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_attribute AS a
       ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_catalog.pg_attrdef AS d
       ON d.adrelid = c.oid AND d.adnum = a.attnum
WHERE c.relkind IN ('r', 'p')
  AND n.nspname = ANY (%(schemas)s::text[])
  AND (%(tables)s::text[] IS NULL
       OR c.relname = ANY (%(tables)s::text[])
       OR n.nspname || '.' || c.relname = ANY (%(tables)s::text[]))
  -- Only the tables the checks files name (the audits read everything else, set-based, in audit_*.sql).
  AND (%(detail_schemas)s::text[] IS NULL
       OR c.oid = ANY (ARRAY(
              SELECT pg_catalog.to_regclass(format('%%I.%%I', w.schema_name, w.table_name))
              FROM unnest(%(detail_schemas)s::text[], %(detail_tables)s::text[]) AS w(schema_name, table_name))))
ORDER BY 1, 2, 3
