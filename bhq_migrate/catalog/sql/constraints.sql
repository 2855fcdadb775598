-- Every constraint of the tables in scope: type (c, f, u, p, x, t), columns by name in key order, the
-- referenced table and columns and ON DELETE / ON UPDATE action codes of a foreign key, the CHECK
-- expression and the whole definition as the server renders them, whether it has been validated, and the
-- index backing a PRIMARY KEY / UNIQUE / EXCLUDE.
SELECT tbl.schema_name                                    AS schema_name,
       tbl.table_name                                     AS table_name,
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
       ic.relname::text                                   AS index_name,
       pg_catalog.pg_get_constraintdef(con.oid)           AS definition
FROM tbl
JOIN pg_catalog.pg_constraint AS con ON con.conrelid = tbl.oid
LEFT JOIN pg_catalog.pg_class AS rt ON rt.oid = con.confrelid
LEFT JOIN pg_catalog.pg_namespace AS rn ON rn.oid = rt.relnamespace
LEFT JOIN pg_catalog.pg_class AS ic ON ic.oid = con.conindid AND con.contype IN ('p', 'u', 'x')
ORDER BY 1, 2, 3
