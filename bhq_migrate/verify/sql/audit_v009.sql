-- V009 policy-command-uncovered: on tenant tables with RLS enabled, a command no permissive policy covers
-- (every such statement is refused: the application breaks), and write policies without WITH CHECK (USING is
-- reused for the new rows, which is rarely what was meant). polcmd: * all, r select, a insert, w update, d delete.
SELECT 'V009' AS rule,
       jsonb_build_array(t.schema_name, t.table_name, 'uncovered', cmd.name, NULL) AS detail
FROM tenant AS t
CROSS JOIN (VALUES ('r', 'SELECT'), ('a', 'INSERT'), ('w', 'UPDATE'), ('d', 'DELETE')) AS cmd(code, name)
WHERE t.rls
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_policy AS p
                  WHERE p.polrelid = t.oid AND p.polpermissive AND p.polcmd IN ('*', cmd.code))
UNION ALL
SELECT 'V009', jsonb_build_array(t.schema_name, t.table_name, 'no-with-check',
                                 CASE p.polcmd WHEN '*' THEN 'ALL' WHEN 'a' THEN 'INSERT' ELSE 'UPDATE' END,
                                 p.polname::text)
FROM tenant AS t
JOIN pg_catalog.pg_policy AS p ON p.polrelid = t.oid
WHERE p.polcmd IN ('*', 'a', 'w') AND p.polwithcheck IS NULL
