-- Enum types in the schemas in scope, with their labels in order.
SELECT n.nspname::text AS schema_name,
       t.typname::text AS enum_name,
       ARRAY(SELECT e.enumlabel::text FROM pg_catalog.pg_enum AS e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder)
           AS labels
FROM pg_catalog.pg_type AS t
JOIN pg_catalog.pg_namespace AS n ON n.oid = t.typnamespace
WHERE t.typtype = 'e' AND n.nspname = ANY (%(schemas)s::text[])
ORDER BY 1, 2
