-- The database to clone and its size.
SELECT current_database(), pg_catalog.pg_database_size(current_database())
