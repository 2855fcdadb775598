-- Views and materialized views that depend on a column about to be retyped
-- (ALTER COLUMN ... TYPE fails on them: "cannot alter type of a column used by a view or rule").
SELECT DISTINCT n.nspname AS schema_name, t.relname AS table_name, a.attname AS column_name,
       format('%%I.%%I', vn.nspname, v.relname) AS dependent, v.relkind::text AS dependent_kind
FROM pg_catalog.pg_depend AS d
JOIN pg_catalog.pg_rewrite AS r ON r.oid = d.objid AND d.classid = 'pg_catalog.pg_rewrite'::regclass
JOIN pg_catalog.pg_class AS v ON v.oid = r.ev_class
JOIN pg_catalog.pg_namespace AS vn ON vn.oid = v.relnamespace
JOIN pg_catalog.pg_class AS t ON t.oid = d.refobjid AND d.refclassid = 'pg_catalog.pg_class'::regclass
JOIN pg_catalog.pg_namespace AS n ON n.oid = t.relnamespace
JOIN pg_catalog.pg_attribute AS a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
WHERE v.oid <> t.oid
  AND (n.nspname, t.relname, a.attname) IN (SELECT * FROM unnest(%(schemas)s::text[], %(tables)s::text[], %(columns)s::text[]))
ORDER BY 1, 2, 3, 4
