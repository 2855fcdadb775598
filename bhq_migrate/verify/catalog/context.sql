-- What the rest of the snapshot depends on, in one round trip: the server version, the schemas in
-- scope, and whether bhq-migrate's history and online-steps tables exist (read only if they do).
SELECT current_setting('server_version_num')::int AS server_version,
       pg_catalog.to_regclass('bhq_migrate.history') IS NOT NULL AS has_history,
       pg_catalog.to_regclass('bhq_migrate.steps') IS NOT NULL AS has_steps,
       ARRAY(
           SELECT n.nspname::text
           FROM pg_catalog.pg_namespace AS n
           WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
             AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'
             AND (%(schemas)s::text[] IS NULL OR n.nspname = ANY (%(schemas)s::text[]))
           ORDER BY 1
       ) AS schemas
