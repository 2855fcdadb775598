-- What apply --online's table copy (online_copy.py) must reproduce of one table, and why it cannot (blockers),
-- in one row of JSON (no row when the table does not exist). The caller reads it under search_path = pg_catalog, so every name in a definition is
-- schema-qualified and the statements built from them mean the same in any session.
--   indexes       each index: its definition's tail after "ON <table> " (USING ...), and its constraint (p/u)
--   foreign_keys  the table's own foreign keys (self-references included); referencing: other tables' keys
--                 pointing at it. Both are dropped with the table and added back NOT VALID at the swap.
--   sequences     sequences owned by a column (serial): handed to the copy, or DROP TABLE would drop them
--   generated     generated columns: the copy computes them (LIKE ... INCLUDING GENERATED), so no INSERT names them
--   identities    identity columns and their sequences (name, type): the copy has its own (LIKE ... INCLUDING
--                 IDENTITY, which copies the options but not the type), set to the table's sequence's position
--                 and given its name at the swap
--   owner         the owner, when it is not the applying role (the copy is then given to it)
--   grants        the table's privileges to roles other than its owner: (privilege, grantee, grantable)
--   column_grants column privileges: (column, privilege, grantee, grantable); granted again at the swap
--   blockers      what the copy could not carry over: the retype then uses shadow columns (online.py)
WITH t AS (
    SELECT c.* FROM pg_catalog.pg_class AS c WHERE c.oid = pg_catalog.to_regclass(%(table)s)
), idx AS (
    SELECT i.indexrelid, ic.relname::text AS name, i.indisprimary, i.indisunique,
           con.conname::text AS constraint_name, con.contype::text AS constraint_type, con.condeferrable,
           pg_catalog.pg_get_indexdef(i.indexrelid) AS definition,
           format('CREATE %%sINDEX %%I ON %%s ', CASE WHEN i.indisunique THEN 'UNIQUE ' ELSE '' END, ic.relname,
                  t.oid::pg_catalog.regclass) AS prefix,
           pg_catalog.obj_description(i.indexrelid, 'pg_class') AS comment,
           pg_catalog.obj_description(con.oid, 'pg_constraint') AS constraint_comment
    FROM t
    JOIN pg_catalog.pg_index AS i ON i.indrelid = t.oid
    JOIN pg_catalog.pg_class AS ic ON ic.oid = i.indexrelid
    LEFT JOIN pg_catalog.pg_constraint AS con ON con.conindid = i.indexrelid AND con.conrelid = t.oid
                                              AND con.contype IN ('p', 'u', 'x')
), fk AS (
    SELECT con.conrelid = t.oid AS own, con.conrelid::pg_catalog.regclass::text AS table_sql,
           con.confrelid::pg_catalog.regclass::text AS references_sql,
           con.conname::text AS name, con.convalidated AS validated,
           pg_catalog.pg_get_constraintdef(con.oid) AS definition,
           pg_catalog.obj_description(con.oid, 'pg_constraint') AS comment
    FROM t JOIN pg_catalog.pg_constraint AS con
      ON con.contype = 'f' AND (con.conrelid = t.oid OR con.confrelid = t.oid)
), ids AS (  -- identity columns and their sequences (an internal dependency: dropped with the table)
    SELECT a.attname::text AS column_name, s.oid::pg_catalog.regclass::text AS sequence_sql, s.relname::text,
           (SELECT q.seqtypid::pg_catalog.regtype::text FROM pg_catalog.pg_sequence AS q
            WHERE q.seqrelid = s.oid) AS sequence_type,
           s.relacl, pg_catalog.obj_description(s.oid, 'pg_class') AS comment
    FROM t
    JOIN pg_catalog.pg_attribute AS a ON a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped
                                     AND a.attidentity <> ''
    JOIN pg_catalog.pg_depend AS d ON d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
                                  AND d.refobjid = t.oid AND d.refobjsubid = a.attnum AND d.deptype = 'i'
                                  AND d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
    JOIN pg_catalog.pg_class AS s ON s.oid = d.objid AND s.relkind = 'S'
), cg AS (  -- column privileges
    SELECT a.attnum, a.attname::text AS column_name, acl.privilege_type, acl.grantor, acl.is_grantable,
           CASE WHEN acl.grantee = 0 THEN 'PUBLIC'
                ELSE quote_ident(pg_catalog.pg_get_userbyid(acl.grantee)) END AS grantee
    FROM t
    JOIN pg_catalog.pg_attribute AS a ON a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped
                                     AND a.attacl IS NOT NULL
    CROSS JOIN LATERAL pg_catalog.aclexplode(a.attacl) AS acl
), blocker(why) AS (
    SELECT 'an unlogged or temporary table' FROM t WHERE t.relpersistence <> 'p'
    UNION ALL SELECT 'a table in a tablespace of its own' FROM t WHERE t.reltablespace <> 0
    UNION ALL SELECT 'owned by ' || pg_catalog.pg_get_userbyid(t.relowner) || ', a role the applying role is not a '
                     || 'member of' FROM t WHERE NOT pg_catalog.pg_has_role(t.relowner, 'MEMBER')
    UNION ALL SELECT 'row-level security' FROM t WHERE t.relrowsecurity OR t.relforcerowsecurity
    UNION ALL SELECT 'policy ' || p.polname FROM t JOIN pg_catalog.pg_policy AS p ON p.polrelid = t.oid
    UNION ALL SELECT 'a replica identity other than the primary key' FROM t WHERE t.relreplident <> 'd'
    UNION ALL SELECT 'publication ' || pub.pubname FROM t
              JOIN pg_catalog.pg_publication_rel AS pr ON pr.prrelid = t.oid
              JOIN pg_catalog.pg_publication AS pub ON pub.oid = pr.prpubid
    UNION ALL SELECT 'trigger ' || tg.tgname FROM t JOIN pg_catalog.pg_trigger AS tg ON tg.tgrelid = t.oid
              WHERE NOT tg.tgisinternal AND tg.tgname NOT LIKE 'zzz\_bhq\_%%'
    UNION ALL SELECT 'rule ' || r.rulename FROM t JOIN pg_catalog.pg_rewrite AS r ON r.ev_class = t.oid
    UNION ALL SELECT DISTINCT pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid)
              FROM t JOIN pg_catalog.pg_depend AS d
                ON d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refobjid = t.oid
              JOIN pg_catalog.pg_rewrite AS r
                ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND r.oid = d.objid
              WHERE r.ev_class <> t.oid
    UNION ALL SELECT pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid) || ' (uses its row type)'
              FROM t JOIN pg_catalog.pg_depend AS d
                ON d.refclassid = 'pg_catalog.pg_type'::pg_catalog.regclass AND d.refobjid = t.reltype
              WHERE d.deptype = 'n'
    UNION ALL SELECT 'statistics object ' || s.stxname FROM t
              JOIN pg_catalog.pg_statistic_ext AS s ON s.stxrelid = t.oid
    UNION ALL SELECT format('column %%I (privileges granted by %%s)', cg.column_name,
                            pg_catalog.pg_get_userbyid(cg.grantor))
              FROM t JOIN cg ON cg.grantor <> t.relowner
    UNION ALL SELECT 'identity sequence ' || ids.relname || ' (privileges or a comment of its own)' FROM ids
              WHERE ids.relacl IS NOT NULL OR ids.comment IS NOT NULL
    UNION ALL SELECT 'constraint ' || con.conname || ' (NOT VALID)' FROM t
              JOIN pg_catalog.pg_constraint AS con ON con.conrelid = t.oid AND con.contype = 'c'
              WHERE NOT con.convalidated
    UNION ALL SELECT 'constraint ' || idx.constraint_name || ' (exclusion or deferrable)' FROM idx
              WHERE idx.constraint_type = 'x' OR idx.condeferrable
    UNION ALL SELECT 'index ' || idx.name || ' (unreadable definition)' FROM idx
              WHERE NOT pg_catalog.starts_with(idx.definition, idx.prefix)
    UNION ALL SELECT 'the owner''s own privileges changed' FROM t WHERE t.relacl IS NOT NULL AND EXISTS (
              SELECT FROM pg_catalog.aclexplode(pg_catalog.acldefault('r', t.relowner)) AS d
              WHERE NOT EXISTS (SELECT FROM pg_catalog.aclexplode(t.relacl) AS acl
                                WHERE acl.grantee = d.grantee AND acl.privilege_type = d.privilege_type))
    UNION ALL SELECT 'privileges granted by ' || pg_catalog.pg_get_userbyid(acl.grantor)
              FROM t, pg_catalog.aclexplode(t.relacl) AS acl WHERE acl.grantor <> t.relowner
)
SELECT pg_catalog.jsonb_build_object(
    'oid', t.oid::bigint,
    'owner', CASE WHEN t.relowner <> (SELECT r.oid FROM pg_catalog.pg_roles AS r WHERE r.rolname = current_user)
                  THEN quote_ident(pg_catalog.pg_get_userbyid(t.relowner)) END,
    'columns', (SELECT pg_catalog.jsonb_agg(a.attname ORDER BY a.attnum) FROM pg_catalog.pg_attribute AS a
                WHERE a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped),
    'generated', coalesce((SELECT pg_catalog.jsonb_agg(a.attname ORDER BY a.attnum) FROM pg_catalog.pg_attribute AS a
                           WHERE a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped
                             AND a.attgenerated <> ''), '[]'),
    'statistics', coalesce((SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_array(a.attname, a.attstattarget))
                            FROM pg_catalog.pg_attribute AS a
                            WHERE a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped
                              AND a.attstattarget >= 0), '[]'),
    'indexes', coalesce((SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                             'oid', idx.indexrelid::bigint, 'name', idx.name, 'primary', idx.indisprimary,
                             'unique', idx.indisunique, 'constraint', idx.constraint_name,
                             'tail', substr(idx.definition, length(idx.prefix) + 1), 'comment', idx.comment,
                             'constraint_comment', idx.constraint_comment) ORDER BY idx.name) FROM idx), '[]'),
    'foreign_keys', coalesce((SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                                  'table', fk.table_sql, 'references', fk.references_sql, 'name', fk.name,
                                  'validated', fk.validated,
                                  'definition', fk.definition, 'comment', fk.comment) ORDER BY fk.name)
                              FROM fk WHERE fk.own), '[]'),
    'referencing', coalesce((SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                                 'table', fk.table_sql, 'references', fk.references_sql, 'name', fk.name,
                                 'validated', fk.validated,
                                 'definition', fk.definition, 'comment', fk.comment) ORDER BY fk.table_sql, fk.name)
                             FROM fk WHERE NOT fk.own), '[]'),
    'sequences', coalesce((SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_array(
                               s.oid::pg_catalog.regclass::text, a.attname))
                           FROM pg_catalog.pg_depend AS d
                           JOIN pg_catalog.pg_class AS s ON s.oid = d.objid AND s.relkind = 'S'
                           JOIN pg_catalog.pg_attribute AS a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
                           WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                             AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
                             AND d.refobjid = t.oid AND d.deptype = 'a'), '[]'),
    'identities', coalesce((SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_array(
                                ids.column_name, ids.sequence_sql, ids.relname, ids.sequence_type)
                                ORDER BY ids.column_name)
                            FROM ids), '[]'),
    'grants', coalesce((SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_array(acl.privilege_type,
                            CASE WHEN acl.grantee = 0 THEN 'PUBLIC'
                                 ELSE quote_ident(pg_catalog.pg_get_userbyid(acl.grantee)) END,
                            acl.is_grantable))
                        FROM pg_catalog.aclexplode(t.relacl) AS acl
                        WHERE acl.grantee <> t.relowner), '[]'),
    'column_grants', coalesce((SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_array(
                                   cg.column_name, cg.privilege_type, cg.grantee, cg.is_grantable)
                                   ORDER BY cg.attnum, cg.privilege_type, cg.grantee) FROM cg), '[]'),
    'reloptions', coalesce(pg_catalog.to_jsonb(t.reloptions), '[]'),
    'comment', pg_catalog.obj_description(t.oid, 'pg_class'),
    'blockers', coalesce((SELECT pg_catalog.jsonb_agg(DISTINCT blocker.why) FROM blocker), '[]')
)
FROM t
