-- The tables in scope (ordinary and partitioned), one row each. Every other query of this package starts
-- from this one, as the CTE "tbl", so the scope is written once:
--   schemas        the schemas in scope (context.sql resolved them)
--   names          NULL, or table names, bare ("Animal") or qualified ("public.Animal")
--   detail_*       NULL, or the exact (schema, table) pairs to read (looked up with to_regclass: no scan)
-- Sizes are the planner's estimates from pg_class (relpages, as of the last VACUUM/ANALYZE/CREATE INDEX)
-- rather than pg_relation_size(), which opens the table under ACCESS SHARE and so queues behind any
-- ACCESS EXCLUSIVE lock a migration holds. persistence is pg_class.relpersistence: p (logged) or u (unlogged).
SELECT c.oid                                                            AS oid,
       n.nspname::text                                                  AS schema_name,
       c.relname::text                                                  AS table_name,
       c.relkind::text                                                  AS kind,
       pg_catalog.pg_get_userbyid(c.relowner)::text                     AS owner,
       c.relrowsecurity                                                 AS rls_enabled,
       c.relforcerowsecurity                                            AS rls_forced,
       c.relispartition                                                 AS is_partition,
       c.relhassubclass OR EXISTS (
           SELECT FROM pg_catalog.pg_inherits AS inh WHERE inh.inhrelid = c.oid
       )                                                                AS has_inheritance,
       greatest(c.reltuples, 0)::bigint                                 AS estimated_rows,
       c.reltuples >= 0                                                 AS analyzed,
       c.relpages::bigint * current_setting('block_size')::bigint       AS heap_bytes,
       (c.relpages::bigint
        + coalesce((SELECT t.relpages FROM pg_catalog.pg_class AS t WHERE t.oid = c.reltoastrelid), 0)
        + coalesce((SELECT sum(ic.relpages)::bigint
                    FROM pg_catalog.pg_index AS i
                    JOIN pg_catalog.pg_class AS ic ON ic.oid = i.indexrelid
                    WHERE i.indrelid = c.oid), 0)
       ) * current_setting('block_size')::bigint                        AS total_bytes,
       c.relpersistence::text                                           AS persistence
FROM pg_catalog.pg_class AS c
JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p')
  AND n.nspname = ANY (%(schemas)s::text[])
  AND (%(names)s::text[] IS NULL
       OR c.relname = ANY (%(names)s::text[])
       OR n.nspname || '.' || c.relname = ANY (%(names)s::text[]))
  AND (%(detail_schemas)s::text[] IS NULL
       OR c.oid = ANY (ARRAY(
              SELECT pg_catalog.to_regclass(format('%%I.%%I', w.schema_name, w.table_name))
              FROM unnest(%(detail_schemas)s::text[], %(detail_tables)s::text[]) AS w(schema_name, table_name))))
