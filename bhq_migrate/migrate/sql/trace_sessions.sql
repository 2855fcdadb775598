-- Sessions connected to the database to clone (CREATE DATABASE ... TEMPLATE refuses a template with users):
-- all of them, and those worth no wait. An idle bhq-migrate session is worth a short wait: it is most often
-- one we closed a moment ago whose backend is still exiting.
SELECT
    count(*),
    count(*) FILTER (WHERE NOT starts_with(application_name, 'bhq-migrate ') OR state IS DISTINCT FROM 'idle')
FROM pg_catalog.pg_stat_activity
WHERE datname = %(target)s AND pid <> pg_catalog.pg_backend_pid()
