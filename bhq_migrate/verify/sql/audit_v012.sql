-- V012 fk-without-tenant: foreign keys between two tenant tables that do not pair the tenant columns (the
-- child's tenant column at the same position as the parent's), so a row may reference another tenant's row.
-- A key is forgiven when another foreign key of the same table to the same table pairs the tenant columns and
-- every column pair of this one (plan 004 keeps the original key beside the composite one).
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
  AND NOT EXISTS (SELECT 1 FROM unnest(con.conkey, con.confkey) AS k(col, ref)
                  WHERE k.col = t.tenant_attnum AND k.ref = pt.tenant_attnum)
  AND NOT EXISTS (
        SELECT 1 FROM pg_catalog.pg_constraint AS other
        WHERE other.contype = 'f' AND other.conrelid = con.conrelid AND other.confrelid = con.confrelid
          AND EXISTS (SELECT 1 FROM unnest(other.conkey, other.confkey) AS o(col, ref)
                      WHERE o.col = t.tenant_attnum AND o.ref = pt.tenant_attnum)
          AND NOT EXISTS (SELECT 1 FROM unnest(con.conkey, con.confkey) AS k(col, ref)
                          WHERE NOT EXISTS (SELECT 1 FROM unnest(other.conkey, other.confkey) AS o(col, ref)
                                            WHERE o.col = k.col AND o.ref = k.ref)))
