-- Every live column with its formatted type, nullability and default. Enum columns name their enum
-- (element type for arrays), since format_type may schema-qualify or quote it.
SELECT n.nspname AS schema_name, c.relname AS table_name, a.attname AS column_name,
       pg_catalog.format_type(a.atttypid, a.atttypmod) AS data_type,
       a.attnotnull AS not_null,
       pg_catalog.pg_get_expr(d.adbin, d.adrelid) AS default_expression,
       a.attidentity <> '' AS is_identity,
       a.attgenerated <> '' AS is_generated,
       CASE WHEN t.typtype = 'e' THEN t.typname
            WHEN et.typtype = 'e' THEN et.typname END AS enum_name,
       t.typcategory = 'A' AS is_array
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_catalog.pg_type et ON et.oid = t.typelem AND t.typcategory = 'A'
LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND a.attnum > 0 AND NOT a.attisdropped
  AND n.nspname = ANY(%(schemas)s)
ORDER BY 1, 2, a.attnum
