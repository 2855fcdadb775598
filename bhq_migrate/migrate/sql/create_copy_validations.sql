-- Foreign keys that apply --online's table copy (online_copy.py) added back NOT VALID at a swap and has still to
-- validate. Written in the swap's transaction and deleted in each VALIDATE's, so a run killed in between knows,
-- when it resumes, which keys were valid before the copy (a key that was NOT VALID on the table stays so).
CREATE SCHEMA IF NOT EXISTS bhq_migrate;

CREATE TABLE IF NOT EXISTS bhq_migrate.copy_validations (
    table_sql        text NOT NULL,
    constraint_name  text NOT NULL,
    copied_table     text NOT NULL,
    PRIMARY KEY (table_sql, constraint_name)
);
