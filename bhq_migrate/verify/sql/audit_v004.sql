-- V004 redundant-index, the candidates: pairs of valid indexes on one table where the first one's key
-- columns (with operator classes, hence access method, and sort options) equal the second one's, or are a
-- leading prefix of them (btree only, no expression keys). Keys, operator classes and options are compared
-- as the server's int2vector/oidvector texts ("1 2 3"; a prefix of it is "1" or "1 2"), expressions as the
-- stored parse trees with token locations removed. Indexes with INCLUDE columns are left alone.
-- Predicates are returned as the server renders them: v004_redundant_index.py compares them by meaning
-- (a stored tree keeps IN (...) and = ANY (ARRAY[...]) apart) and applies the uniqueness rules.
WITH pairs AS (
    -- Same table, same first key column: the only pairs that can be prefixes. Texts only for those.
    SELECT a.indexrelid, b.indexrelid AS keeper_oid, a.indrelid, a.schema_name, a.table_name, a.is_unique,
           b.is_unique AS keeper_unique, a.has_expressions, a.indexprs, b.indexprs AS keeper_indexprs,
           a.indpred, b.indpred AS keeper_indpred,
           a.indkey::text AS keys, b.indkey::text AS keeper_keys,
           a.indclass::text AS classes, b.indclass::text AS keeper_classes,
           a.indoption::text AS options, b.indoption::text AS keeper_options
    FROM idx AS a
    JOIN idx AS b ON b.indrelid = a.indrelid AND b.first_key = a.first_key
    WHERE b.indexrelid <> a.indexrelid
      AND a.is_valid AND b.is_valid AND a.keys_only AND b.keys_only AND NOT a.is_primary
), candidates AS (
    SELECT p.*, p.keys = p.keeper_keys AS same_keys
    FROM pairs AS p
    WHERE (p.classes = p.keeper_classes OR p.keeper_classes LIKE p.classes || ' %%')
      AND (p.options = p.keeper_options OR p.keeper_options LIKE p.options || ' %%')
      AND (p.keys = p.keeper_keys OR (p.keeper_keys LIKE p.keys || ' %%' AND NOT p.has_expressions))
      AND regexp_replace(p.indexprs::text, ' :location -?[0-9]+', '', 'g')
          IS NOT DISTINCT FROM regexp_replace(p.keeper_indexprs::text, ' :location -?[0-9]+', '', 'g')
      AND (p.indpred IS NOT NULL OR p.keeper_indpred IS NULL)
)
SELECT 'V004' AS rule,
       jsonb_build_array(
           c.schema_name, c.table_name, an.relname::text, bn.relname::text,
           (SELECT con.conname::text
            FROM pg_catalog.pg_depend AS d
            JOIN pg_catalog.pg_constraint AS con ON con.oid = d.refobjid
            WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.keeper_oid
              AND d.objsubid = 0 AND d.refclassid = 'pg_catalog.pg_constraint'::pg_catalog.regclass
              AND d.deptype = 'i'),
           c.is_unique, c.keeper_unique, c.same_keys,
           pg_catalog.pg_get_expr(c.indpred, c.indrelid), pg_catalog.pg_get_expr(c.keeper_indpred, c.indrelid)
       ) AS detail
FROM candidates AS c
JOIN pg_catalog.pg_class AS an ON an.oid = c.indexrelid
JOIN pg_catalog.pg_class AS bn ON bn.oid = c.keeper_oid
WHERE (c.same_keys OR an.relam = (SELECT oid FROM pg_catalog.pg_am WHERE amname = 'btree'))
  AND NOT EXISTS (  -- an index backing a constraint is never the one to drop
      SELECT 1
      FROM pg_catalog.pg_depend AS d
      WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.indexrelid
        AND d.objsubid = 0 AND d.refclassid = 'pg_catalog.pg_constraint'::pg_catalog.regclass
        AND d.deptype = 'i')
