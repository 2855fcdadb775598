-- Sequences in the schemas in scope (from pg_sequence: no pg_sequence_last_value, which opens the
-- sequence), with the column that owns one (serial / identity), if any. With a table filter, only the
-- sequences those tables own.
SELECT n.nspname::text                                    AS schema_name,
       s.relname::text                                    AS sequence_name,
       pg_catalog.format_type(q.seqtypid, NULL)           AS data_type,
       q.seqstart                                         AS start_value,
       q.seqincrement                                     AS increment,
       q.seqmin                                           AS min_value,
       q.seqmax                                           AS max_value,
       q.seqcycle                                         AS cycles,
       tbl.schema_name                                    AS owner_schema,
       tbl.table_name                                     AS owner_table,
       a.attname::text                                    AS owner_column
FROM pg_catalog.pg_sequence AS q
JOIN pg_catalog.pg_class AS s ON s.oid = q.seqrelid
JOIN pg_catalog.pg_namespace AS n ON n.oid = s.relnamespace
LEFT JOIN pg_catalog.pg_depend AS d
       ON d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = s.oid
      AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.deptype IN ('a', 'i')
      AND d.refobjsubid > 0
LEFT JOIN tbl ON tbl.oid = d.refobjid
LEFT JOIN pg_catalog.pg_attribute AS a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
WHERE n.nspname = ANY (%(schemas)s::text[])
  AND ((%(names)s::text[] IS NULL AND %(detail_schemas)s::text[] IS NULL) OR tbl.oid IS NOT NULL)
ORDER BY 1, 2
