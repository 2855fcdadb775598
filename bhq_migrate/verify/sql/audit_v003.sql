-- V003 unindexed-foreign-key: foreign keys whose columns do not lead any valid index of their table.
-- "Lead" means the first n key columns are exactly the FK's n columns, in any order. A partial index
-- counts only when its predicate is "<fk column> IS NOT NULL" (compared in the server's own rendering),
-- which every FK lookup satisfies.
SELECT 'V003' AS rule,
       jsonb_build_array(r.schema_name, r.table_name, con.conname::text, ARRAY(
           SELECT a.attname::text
           FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
           JOIN pg_catalog.pg_attribute AS a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
           ORDER BY k.ord)) AS detail
FROM pg_catalog.pg_constraint AS con
JOIN rel AS r ON r.oid = con.conrelid
WHERE con.contype = 'f'
  AND NOT EXISTS (
      SELECT 1
      FROM idx AS i
      WHERE i.indrelid = con.conrelid
        AND i.is_valid
        -- int2vector subscripts start at 0: the index's first n key columns, as a set, are the FK's.
        AND i.indkey[0:cardinality(con.conkey) - 1] @> con.conkey
        AND cardinality(i.indkey[0:cardinality(con.conkey) - 1]) = cardinality(con.conkey)
        AND (i.indpred IS NULL
             OR (cardinality(con.conkey) = 1
                 AND pg_catalog.pg_get_expr(i.indpred, i.indrelid) = (
                     SELECT '(' || quote_ident(a.attname) || ' IS NOT NULL)'
                     FROM pg_catalog.pg_attribute AS a
                     WHERE a.attrelid = con.conrelid AND a.attnum = con.conkey[1])))
  )
