-- Row-level-security policies of the tables in scope (the tables' RLS enabled/forced flags are in
-- tables.sql). Roles by name ("public" for the PUBLIC pseudo-role, as pg_policies shows it); command is
-- pg_policy.polcmd: r SELECT, a INSERT, w UPDATE, d DELETE, * ALL.
SELECT tbl.schema_name                                    AS schema_name,
       tbl.table_name                                     AS table_name,
       p.polname::text                                    AS policy_name,
       p.polpermissive                                    AS permissive,
       p.polcmd::text                                     AS command,
       ARRAY(
           SELECT CASE WHEN r.oid = 0 THEN 'public' ELSE pg_catalog.pg_get_userbyid(r.oid)::text END
           FROM unnest(p.polroles) AS r(oid)
           ORDER BY 1
       )                                                  AS roles,
       pg_catalog.pg_get_expr(p.polqual, p.polrelid)      AS using_expression,
       pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) AS check_expression
FROM tbl
JOIN pg_catalog.pg_policy AS p ON p.polrelid = tbl.oid
ORDER BY 1, 2, 3
