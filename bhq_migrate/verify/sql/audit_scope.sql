-- Shared by every audit rule (it follows "WITH tbl AS (...),"): the tables in scope, their columns of
-- interest, and their indexes, each read once. The audit_vNNN.sql fragments select from these and return only what they find wrong, as
-- (rule id, JSON array of details); the engine joins them with UNION ALL into one round trip.
rel AS MATERIALIZED (
    -- The catalog's own scope (bhq_migrate/catalog/sql/tables.sql, in front of this as "tbl"), every table.
    SELECT tbl.oid, tbl.schema_name, tbl.table_name FROM tbl
), col AS MATERIALIZED (
    -- Only the columns some rule looks at: money-named non-bigint, naive timestamps, soft-delete markers.
    -- One sequential pass over pg_attribute (a lookup per table would cost a probe per table).
    SELECT a.attrelid, a.attnum, a.attname::text AS column_name, a.atttypid, a.atttypmod
    FROM pg_catalog.pg_attribute AS a
    WHERE a.attnum > 0 AND NOT a.attisdropped
      AND ((a.atttypid <> 'pg_catalog.int8'::pg_catalog.regtype AND a.attname LIKE ANY (%(money_patterns)s::text[]))
           OR a.atttypid = 'pg_catalog.timestamp'::pg_catalog.regtype
           OR a.attname = ANY (%(soft_delete_columns)s::text[]))
      AND a.attrelid >= 16384  -- FirstNormalObjectId: skips the system catalogs' own columns
    OFFSET 0  -- keeps the planner from turning this into one index probe per table
), idx AS MATERIALIZED (
    -- Every index of those tables. Names, access methods and backing constraints are looked up only for
    -- the few rows a rule reports (joins here would cost a scan of pg_class and pg_constraint each).
    SELECT i.indexrelid, i.indrelid, r.schema_name, r.table_name,
           i.indisunique AS is_unique, i.indisprimary AS is_primary, i.indisvalid AS is_valid,
           i.indisready AS is_ready, i.indnatts = i.indnkeyatts AS keys_only,
           i.indkey, i.indclass, i.indoption, i.indkey[0] AS first_key,
           i.indexprs IS NOT NULL AS has_expressions, i.indexprs, i.indpred
    FROM pg_catalog.pg_index AS i
    JOIN rel AS r ON r.oid = i.indrelid
)
