-- The tables in scope with their columns, one row per column; a table without columns gives one row with
-- NULL column fields, so this query alone also yields the tables. type_name is the internal name (int4,
-- _int4 for an array), type_modifier the raw atttypmod; column_type is format_type's rendering.
SELECT tbl.*,
       a.attnum                                                AS position,
       a.attname::text                                         AS column_name,
       pg_catalog.format_type(a.atttypid, a.atttypmod)         AS column_type,
       t.typname::text                                         AS type_name,
       a.atttypid::bigint                                      AS type_oid,
       a.atttypmod                                             AS type_modifier,
       a.attndims > 0 OR t.typcategory = 'A'                   AS is_array,
       a.attnotnull                                            AS not_null,
       pg_catalog.pg_get_expr(d.adbin, d.adrelid)              AS column_default,
       NULLIF(a.attidentity, '')::text                         AS identity,
       NULLIF(a.attgenerated, '')::text                        AS generated,
       CASE WHEN t.typtype = 'e' THEN t.typname
            WHEN et.typtype = 'e' THEN et.typname END::text    AS enum_name,
       pg_catalog.col_description(a.attrelid, a.attnum)        AS comment,
       a.attacl IS NOT NULL                                    AS has_privileges
FROM tbl
LEFT JOIN pg_catalog.pg_attribute AS a ON a.attrelid = tbl.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_catalog.pg_type AS t ON t.oid = a.atttypid
LEFT JOIN pg_catalog.pg_type AS et ON et.oid = t.typelem AND t.typcategory = 'A'
LEFT JOIN pg_catalog.pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
ORDER BY tbl.schema_name, tbl.table_name, a.attnum
