-- What every other query depends on, in one round trip: the server version, the schemas in scope (every
-- user schema, or those the caller names that exist), and whether bhq-migrate's history table exists.
-- In a transaction of its own (see reader.snapshot) it also bounds the transaction's lock_timeout and
-- statement_timeout where the session has none (0), without a round trip of its own; a session's own
-- settings (apply's runner sets both) and a caller's transaction are left alone.
SELECT current_setting('server_version_num')::int AS server_version,
       CASE WHEN %(lock_timeout)s::text IS NOT NULL THEN concat_ws(' ',
            CASE WHEN current_setting('lock_timeout') IN ('0', '0ms')
                 THEN pg_catalog.set_config('lock_timeout', %(lock_timeout)s, true) END,
            CASE WHEN current_setting('statement_timeout') IN ('0', '0ms')
                 THEN pg_catalog.set_config('statement_timeout', %(statement_timeout)s, true) END)
       END AS timeouts,
       pg_catalog.to_regclass('bhq_migrate.history') IS NOT NULL AS has_history,
       ARRAY(
           SELECT n.nspname::text
           FROM pg_catalog.pg_namespace AS n
           WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
             AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'
             AND (%(schemas)s::text[] IS NULL OR n.nspname = ANY (%(schemas)s::text[]))
           ORDER BY 1
       ) AS schemas
