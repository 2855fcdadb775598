-- User triggers of the tables in scope (not the internal ones behind foreign keys): enabled state
-- (O origin, D disabled, R replica, A always), the function, and the definition as the server renders it.
SELECT tbl.schema_name                                    AS schema_name,
       tbl.table_name                                     AS table_name,
       t.tgname::text                                     AS trigger_name,
       t.tgenabled::text                                  AS enabled,
       format('%%I.%%I', fn.nspname, f.proname)           AS function_name,
       pg_catalog.pg_get_triggerdef(t.oid)                AS definition
FROM tbl
JOIN pg_catalog.pg_trigger AS t ON t.tgrelid = tbl.oid AND NOT t.tgisinternal
JOIN pg_catalog.pg_proc AS f ON f.oid = t.tgfoid
JOIN pg_catalog.pg_namespace AS fn ON fn.oid = f.pronamespace
ORDER BY 1, 2, 3
