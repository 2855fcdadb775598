-- The database to clone, its size, and how many other sessions are connected (CREATE DATABASE ... TEMPLATE
-- refuses a template with users).
SELECT
    current_database(),
    pg_catalog.pg_database_size(current_database()),
    (SELECT count(*) FROM pg_catalog.pg_stat_activity
     WHERE datname = current_database() AND pid <> pg_catalog.pg_backend_pid())
