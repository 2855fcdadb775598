-- Every user table's columns with their internal type name and modifiers, plus size estimates per table.
SELECT n.nspname AS schema_name,
       c.relname AS table_name,
       a.attname AS column_name,
       t.typname AS type_name,
       a.atttypmod AS type_modifier,
       a.attndims > 0 OR t.typcategory = 'A' AS is_array
FROM pg_catalog.pg_class AS c
JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_attribute AS a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_catalog.pg_type AS t ON t.oid = a.atttypid
WHERE c.relkind IN ('r', 'p')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
ORDER BY n.nspname, c.relname, a.attnum
