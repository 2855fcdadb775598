-- Every user table, materialized view and index with its relfilenode: a new relfilenode after a statement
-- means PostgreSQL wrote a new copy (rewrite). System catalogs and TOAST tables are left out.
SELECT c.oid, n.nspname || '.' || c.relname, c.relfilenode, c.relkind
FROM pg_catalog.pg_class AS c
JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'm', 'i')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%'
