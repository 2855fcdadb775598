-- V013 app-role-bypasses-rls: the roles the application uses (--app-role, else the role running verify) must
-- be bound by the policies: not a superuser, no BYPASSRLS, and not an owner of a tenant table (an owner may
-- disable RLS or drop the policy; without FORCE it bypasses it). Only where the database has adopted RLS.
-- A named role that does not exist is reported as such (the engine turns it into a usage error).
WITH checked AS (
    SELECT name, ord
    FROM unnest(coalesce(%(app_roles)s::text[], ARRAY[current_user::text])) WITH ORDINALITY AS a(name, ord)
)
SELECT 'V013' AS rule,
       jsonb_build_array(ch.name, ro.oid IS NOT NULL, coalesce(ro.rolsuper, false), coalesce(ro.rolbypassrls, false),
                         ARRAY(SELECT t.schema_name || '.' || t.table_name FROM tenant AS t
                               WHERE ro.oid IS NOT NULL AND pg_catalog.pg_has_role(ro.oid, t.relowner, 'USAGE')
                               ORDER BY 1)) AS detail
FROM checked AS ch
LEFT JOIN pg_catalog.pg_roles AS ro ON ro.rolname = ch.name
WHERE EXISTS (SELECT 1 FROM tenant WHERE adopted)
  AND (ro.oid IS NULL OR ro.rolsuper OR ro.rolbypassrls
       OR EXISTS (SELECT 1 FROM tenant AS t WHERE pg_catalog.pg_has_role(ro.oid, t.relowner, 'USAGE')))
