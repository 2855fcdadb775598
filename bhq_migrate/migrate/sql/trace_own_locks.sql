-- The relation locks this backend holds (its open transaction's), on user relations only: reading the
-- catalog here takes ACCESS SHARE on pg_class and friends, which says nothing about the traced statement.
SELECT l.relation, n.nspname || '.' || c.relname, l.mode
FROM pg_catalog.pg_locks AS l
JOIN pg_catalog.pg_class AS c ON c.oid = l.relation
JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
WHERE l.pid = pg_catalog.pg_backend_pid() AND l.locktype = 'relation' AND l.granted
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%'
