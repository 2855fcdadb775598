-- What depends on each column of the tables in scope, from pg_depend: views and materialized views (through
-- their rewrite rules), indexes, constraints, triggers, policies, owned sequences, other columns' defaults...
-- The column's own default is left out (it belongs to the column), and so is its NOT NULL constraint, which
-- PostgreSQL 18 records in pg_constraint (attnotnull already says it). description is pg_describe_object's
-- text; view_* name the dependent relation (view_sql as SQL, quoted where needed) when it is a view ('v') or materialized view ('m').
-- No pg_get_viewdef here: deparsing a view locks the tables it reads.
SELECT DISTINCT
       tbl.schema_name                                    AS schema_name,
       tbl.table_name                                     AS table_name,
       a.attname::text                                    AS column_name,
       pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid) AS description,
       vn.nspname::text                                   AS view_schema,
       v.relname::text                                    AS view_name,
       v.relkind::text                                    AS view_kind,
       CASE WHEN v.oid IS NOT NULL THEN format('%%I.%%I', vn.nspname, v.relname) END AS view_sql
FROM tbl
JOIN pg_catalog.pg_depend AS d
  ON d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refobjid = tbl.oid AND d.refobjsubid > 0
JOIN pg_catalog.pg_attribute AS a ON a.attrelid = tbl.oid AND a.attnum = d.refobjsubid
LEFT JOIN pg_catalog.pg_attrdef AS own
       ON d.classid = 'pg_catalog.pg_attrdef'::pg_catalog.regclass AND own.oid = d.objid
LEFT JOIN pg_catalog.pg_constraint AS nn
       ON d.classid = 'pg_catalog.pg_constraint'::pg_catalog.regclass AND nn.oid = d.objid AND nn.contype = 'n'
LEFT JOIN pg_catalog.pg_rewrite AS r
       ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND r.oid = d.objid
LEFT JOIN pg_catalog.pg_class AS v ON v.oid = r.ev_class AND v.oid <> tbl.oid
LEFT JOIN pg_catalog.pg_namespace AS vn ON vn.oid = v.relnamespace
WHERE NOT (own.oid IS NOT NULL AND own.adrelid = tbl.oid AND own.adnum = a.attnum)
  AND nn.oid IS NULL
  AND NOT (r.oid IS NOT NULL AND r.ev_class = tbl.oid)
ORDER BY 1, 2, 3, 4
