-- Every index of the tables in scope: key columns in order (a column name, or the expression's text
-- from pg_get_indexdef for expression keys), DESC / NULLS FIRST from indoption, uniqueness, access
-- method, the partial predicate as the server renders it, validity/readiness, and the constraint it
-- backs (PRIMARY KEY / UNIQUE / EXCLUDE), if any.
SELECT n.nspname::text                                    AS schema_name,
       ic.relname::text                                   AS index_name,
       tc.relname::text                                   AS table_name,
       i.indisunique                                      AS is_unique,
       i.indisprimary                                     AS is_primary,
       i.indisvalid                                       AS is_valid,
       i.indisready                                       AS is_ready,
       am.amname::text                                    AS method,
       pg_catalog.pg_get_expr(i.indpred, i.indrelid)      AS predicate,
       ARRAY(
           SELECT CASE WHEN k.attnum = 0
                       THEN pg_catalog.pg_get_indexdef(i.indexrelid, k.ord::int, true)
                  END
           FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
           WHERE k.ord <= i.indnkeyatts
           ORDER BY k.ord
       )                                                  AS key_expressions,
       ARRAY(
           SELECT a.attname::text
           FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
           LEFT JOIN pg_catalog.pg_attribute AS a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
           WHERE k.ord <= i.indnkeyatts
           ORDER BY k.ord
       )                                                  AS key_columns,
       ARRAY(
           SELECT o.option::int
           FROM unnest(i.indoption::int2[]) WITH ORDINALITY AS o(option, ord)
           WHERE o.ord <= i.indnkeyatts
           ORDER BY o.ord
       )                                                  AS key_options,
       con.conname::text                                  AS constraint_name
FROM pg_catalog.pg_index AS i
JOIN pg_catalog.pg_class AS ic ON ic.oid = i.indexrelid
JOIN pg_catalog.pg_class AS tc ON tc.oid = i.indrelid
JOIN pg_catalog.pg_namespace AS n ON n.oid = tc.relnamespace
JOIN pg_catalog.pg_am AS am ON am.oid = ic.relam
LEFT JOIN pg_catalog.pg_constraint AS con
       ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x')
WHERE tc.relkind IN ('r', 'p')
  AND n.nspname = ANY (%(schemas)s::text[])
  AND (%(tables)s::text[] IS NULL
       OR tc.relname = ANY (%(tables)s::text[])
       OR n.nspname || '.' || tc.relname = ANY (%(tables)s::text[]))
  -- Only the tables the checks files name (the audits read everything else, set-based, in audit_*.sql).
  AND (%(detail_schemas)s::text[] IS NULL
       OR tc.oid = ANY (ARRAY(
              SELECT pg_catalog.to_regclass(format('%%I.%%I', w.schema_name, w.table_name))
              FROM unnest(%(detail_schemas)s::text[], %(detail_tables)s::text[]) AS w(schema_name, table_name))))
ORDER BY 1, 3, 2
