-- What every other query depends on, in one round trip: the server version, the schemas in scope (every
-- user schema, or those the caller names that exist), whether bhq-migrate's history table exists, and which
-- of the caller's table names match an existing table in those schemas (a filter that matches nothing is
-- a typo the caller can report).
-- In a transaction of its own (see reader.snapshot) it also bounds the transaction's lock_timeout and
-- statement_timeout where the session has none (0), without a round trip of its own; a session's own
-- settings (apply's runner sets both) and a caller's transaction are left alone.
WITH scope AS (
    SELECT n.oid, n.nspname::text AS name
    FROM pg_catalog.pg_namespace AS n
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'
      AND (%(schemas)s::text[] IS NULL OR n.nspname = ANY (%(schemas)s::text[]))
)
SELECT current_setting('server_version_num')::int AS server_version,
       CASE WHEN %(lock_timeout)s::text IS NOT NULL THEN concat_ws(' ',
            CASE WHEN current_setting('lock_timeout') IN ('0', '0ms')
                 THEN pg_catalog.set_config('lock_timeout', %(lock_timeout)s, true) END,
            CASE WHEN current_setting('statement_timeout') IN ('0', '0ms')
                 THEN pg_catalog.set_config('statement_timeout', %(statement_timeout)s, true) END)
       END AS timeouts,
       pg_catalog.to_regclass('bhq_migrate.history') IS NOT NULL AS has_history,
       ARRAY(SELECT name FROM scope ORDER BY 1) AS schemas,
       ARRAY(
           SELECT f.name
           FROM unnest(coalesce(%(names)s::text[], '{}')) AS f(name)
           WHERE EXISTS (
               SELECT 1
               FROM pg_catalog.pg_class AS c
               JOIN scope AS s ON s.oid = c.relnamespace
               WHERE c.relkind IN ('r', 'p')
                 AND (c.relname = f.name OR s.name || '.' || c.relname = f.name))
           ORDER BY 1
       ) AS matched_names
