-- The foreign keys that apply --online's swaps added back NOT VALID and that are still to validate
-- (bhq_migrate.copy_validations), whichever swap recorded them, except those on or pointing at one of the
-- deferred tables (qualified names): a later copy in the same run swaps that table, drops such a key and adds
-- it back NOT VALID once more, so validating it now would scan both tables for nothing (plan 001:
-- "Payment_invoiceId_fkey", after the "Payment" swap and again after the "Invoice" one). Its record stays
-- until the validations after that later swap.
-- gone: the key no longer exists (dropped since the swap): nothing to validate, only the record to delete.
SELECT v.table_sql, v.constraint_name, c.oid IS NULL AS gone
FROM bhq_migrate.copy_validations AS v
LEFT JOIN pg_catalog.pg_constraint AS c
       ON c.conrelid = pg_catalog.to_regclass(v.table_sql) AND c.conname = v.constraint_name
WHERE c.oid IS NULL
   OR NOT EXISTS (SELECT FROM pg_catalog.unnest(%(deferred)s::text[]) AS d (table_sql)
                  WHERE pg_catalog.to_regclass(d.table_sql) IN (c.conrelid, c.confrelid))
ORDER BY v.table_sql, v.constraint_name;
