-- Every other session's lock on a table, view or index of this database, with who holds (or waits for) it.
-- One read of pg_locks + pg_stat_activity per plan report; the caller filters by the plan's tables.
-- Only table-like relations: a lock on an index does not conflict with a lock on its table.
SELECT
    n.nspname AS schema_name,
    c.relname AS table_name,
    l.mode,
    l.granted,
    a.pid,
    coalesce(a.usename, '?') AS usename,
    coalesce(a.state, '?') AS state,
    coalesce(extract(epoch FROM now() - a.xact_start)::int, 0) AS xact_age_s,
    left(regexp_replace(coalesce(a.query, ''), '\s+', ' ', 'g'), 120) AS query
FROM pg_catalog.pg_locks AS l
JOIN pg_catalog.pg_stat_activity AS a ON a.pid = l.pid
JOIN pg_catalog.pg_class AS c ON c.oid = l.relation
JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
WHERE l.locktype = 'relation' AND c.relkind IN ('r', 'p', 'm', 'v', 'f')
  AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
  AND l.pid <> pg_catalog.pg_backend_pid()
ORDER BY a.pid, l.granted DESC
