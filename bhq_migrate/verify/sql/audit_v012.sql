-- V012 fk-without-tenant: foreign keys between two tenant tables whose columns do not pair the tenant columns,
-- so a row may reference another tenant's row. A key is forgiven when another foreign key of the same table
-- to the same table covers its columns plus the tenant column (plan 004 keeps the original key beside the
-- composite one).
SELECT 'V012' AS rule,
       jsonb_build_array(t.schema_name, t.table_name, con.conname::text, con.confrelid::regclass::text,
                         ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
                               JOIN pg_catalog.pg_attribute AS a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
                               ORDER BY k.ord),
                         ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
                               JOIN pg_catalog.pg_attribute AS a ON a.attrelid = con.confrelid AND a.attnum = k.attnum
                               ORDER BY k.ord),
                         t.tenant_column, pt.tenant_column, t.adopted) AS detail
FROM pg_catalog.pg_constraint AS con
JOIN tenant AS t ON t.oid = con.conrelid
JOIN tenant AS pt ON pt.oid = con.confrelid
WHERE con.contype = 'f'
  AND NOT (t.tenant_attnum = ANY (con.conkey) AND pt.tenant_attnum = ANY (con.confkey))
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint AS other
                  WHERE other.contype = 'f' AND other.conrelid = con.conrelid AND other.confrelid = con.confrelid
                    AND other.conkey @> (con.conkey || t.tenant_attnum)
                    AND pt.tenant_attnum = ANY (other.confkey))
