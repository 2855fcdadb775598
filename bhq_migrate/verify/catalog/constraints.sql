-- Every constraint of the tables in scope: type (c, f, u, p, x), columns by name in key order, the
-- referenced table and columns and ON DELETE / ON UPDATE actions of a foreign key, the CHECK expression
-- as the server renders it, and whether it has been validated.
SELECT n.nspname::text                                    AS schema_name,
       t.relname::text                                    AS table_name,
       con.conname::text                                  AS constraint_name,
       con.contype::text                                  AS constraint_type,
       con.convalidated                                   AS validated,
       ARRAY(
           SELECT a.attname::text
           FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
           JOIN pg_catalog.pg_attribute AS a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
           ORDER BY k.ord
       )                                                  AS columns,
       rn.nspname::text                                   AS ref_schema,
       rt.relname::text                                   AS ref_table,
       ARRAY(
           SELECT a.attname::text
           FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
           JOIN pg_catalog.pg_attribute AS a ON a.attrelid = con.confrelid AND a.attnum = k.attnum
           ORDER BY k.ord
       )                                                  AS ref_columns,
       NULLIF(con.confdeltype, ' ')::text                 AS on_delete,
       NULLIF(con.confupdtype, ' ')::text                 AS on_update,
       CASE WHEN con.contype = 'c' THEN pg_catalog.pg_get_expr(con.conbin, con.conrelid) END AS expression,
       ic.relname::text                                   AS index_name
FROM pg_catalog.pg_constraint AS con
JOIN pg_catalog.pg_class AS t ON t.oid = con.conrelid
JOIN pg_catalog.pg_namespace AS n ON n.oid = t.relnamespace
LEFT JOIN pg_catalog.pg_class AS rt ON rt.oid = con.confrelid
LEFT JOIN pg_catalog.pg_namespace AS rn ON rn.oid = rt.relnamespace
LEFT JOIN pg_catalog.pg_class AS ic ON ic.oid = con.conindid AND con.contype IN ('p', 'u', 'x')
WHERE t.relkind IN ('r', 'p')
  AND n.nspname = ANY (%(schemas)s::text[])
  AND (%(tables)s::text[] IS NULL
       OR t.relname = ANY (%(tables)s::text[])
       OR n.nspname || '.' || t.relname = ANY (%(tables)s::text[]))
  -- Only the tables the checks files name (the audits read everything else, set-based, in audit_*.sql).
  AND (%(detail_schemas)s::text[] IS NULL
       OR t.oid = ANY (ARRAY(
              SELECT pg_catalog.to_regclass(format('%%I.%%I', w.schema_name, w.table_name))
              FROM unnest(%(detail_schemas)s::text[], %(detail_tables)s::text[]) AS w(schema_name, table_name))))
ORDER BY 1, 2, 3
