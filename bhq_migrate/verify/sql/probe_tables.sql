-- The probe's tables: every tenant table in scope, its tenant column and type, the columns a cloned row
-- copies (not generated, no identity, no sequence default), and its single-column foreign keys to other
-- tenant tables (a cloned row points at a parent row of its own tenant) and to the tenant registry.
WITH tenant AS (
    SELECT c.oid, n.nspname::text AS schema_name, c.relname::text AS table_name, a.attnum, a.attname::text AS col,
           pg_catalog.format_type(a.atttypid, a.atttypmod) AS col_type
    FROM pg_catalog.pg_class AS c
    JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
    JOIN pg_catalog.pg_attribute AS a ON a.attrelid = c.oid AND NOT a.attisdropped
                                     AND a.attname = ANY (%(tenant_columns)s::text[])
    WHERE c.relkind IN ('r', 'p')
      AND n.nspname = ANY (%(schemas)s::text[])
      AND (%(tables)s::text[] IS NULL OR c.relname = ANY (%(tables)s::text[])
           OR n.nspname || '.' || c.relname = ANY (%(tables)s::text[]))
)
SELECT t.schema_name, t.table_name, t.col, t.col_type,
       ARRAY(SELECT a.attname::text FROM pg_catalog.pg_attribute AS a
             LEFT JOIN pg_catalog.pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
             WHERE a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
               AND a.attidentity = '' AND coalesce(pg_catalog.pg_get_expr(d.adbin, d.adrelid), '') NOT LIKE 'nextval(%%'
             ORDER BY a.attnum) AS copied,
       -- [column, parent schema, parent table, parent column, parent is a tenant table, column NOT NULL]
       coalesce((SELECT jsonb_agg(jsonb_build_array(a.attname::text, pn.nspname::text, pc.relname::text,
                                                    pa.attname::text, EXISTS (SELECT 1 FROM tenant AS p WHERE p.oid = pc.oid),
                                                    a.attnotnull))
                 FROM pg_catalog.pg_constraint AS con
                 JOIN pg_catalog.pg_attribute AS a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1]
                 JOIN pg_catalog.pg_class AS pc ON pc.oid = con.confrelid
                 JOIN pg_catalog.pg_namespace AS pn ON pn.oid = pc.relnamespace
                 JOIN pg_catalog.pg_attribute AS pa ON pa.attrelid = con.confrelid AND pa.attnum = con.confkey[1]
                 WHERE con.conrelid = t.oid AND con.contype = 'f' AND cardinality(con.conkey) = 1
                   AND con.confrelid <> t.oid), '[]'::jsonb) AS references
FROM tenant AS t
ORDER BY t.schema_name, t.table_name
