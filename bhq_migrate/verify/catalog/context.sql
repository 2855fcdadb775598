-- What the rest of the snapshot depends on, in one round trip: the server version, the schemas in
-- scope, whether bhq-migrate's history table exists (read by history.sql only if it does), and which
-- --table filters name an existing table in those schemas (a filter that matches nothing is an error).
WITH scope AS (
    SELECT n.oid, n.nspname::text AS name
    FROM pg_catalog.pg_namespace AS n
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'
      AND (%(schemas)s::text[] IS NULL OR n.nspname = ANY (%(schemas)s::text[]))
)
SELECT current_setting('server_version_num')::int AS server_version,
       pg_catalog.to_regclass('bhq_migrate.history') IS NOT NULL AS has_history,
       ARRAY(SELECT name FROM scope ORDER BY 1) AS schemas,
       ARRAY(
           SELECT f.name
           FROM unnest(coalesce(%(tables)s::text[], '{}')) AS f(name)
           WHERE EXISTS (
               SELECT 1
               FROM pg_catalog.pg_class AS c
               JOIN scope AS s ON s.oid = c.relnamespace
               WHERE c.relkind IN ('r', 'p')
                 AND (c.relname = f.name OR s.name || '.' || c.relname = f.name))
           ORDER BY 1
       ) AS matched_tables
