-- Every index of the tables in scope: key columns in order (a column name, or the expression's text from
-- pg_get_indexdef for expression keys), DESC / NULLS FIRST bits from indoption, INCLUDE columns, uniqueness,
-- access method, the partial predicate and the whole definition as the server renders them, validity and
-- readiness, and the constraint it backs (p primary key, u unique, x exclusion), if any.
SELECT tbl.schema_name                                    AS schema_name,
       ic.relname::text                                   AS index_name,
       tbl.table_name                                     AS table_name,
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
       ARRAY(
           SELECT a.attname::text
           FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
           JOIN pg_catalog.pg_attribute AS a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
           WHERE k.ord > i.indnkeyatts
           ORDER BY k.ord
       )                                                  AS include_columns,
       con.conname::text                                  AS constraint_name,
       con.contype::text                                  AS constraint_type,
       pg_catalog.pg_get_indexdef(i.indexrelid)           AS definition
FROM tbl
JOIN pg_catalog.pg_index AS i ON i.indrelid = tbl.oid
JOIN pg_catalog.pg_class AS ic ON ic.oid = i.indexrelid
JOIN pg_catalog.pg_am AS am ON am.oid = ic.relam
LEFT JOIN pg_catalog.pg_constraint AS con
       ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x')
ORDER BY 1, 3, 2
