-- The history lives in its own schema so it never collides with application tables.
CREATE SCHEMA IF NOT EXISTS bhq_migrate;

CREATE TABLE IF NOT EXISTS bhq_migrate.history (
    id           text        PRIMARY KEY,
    name         text        NOT NULL,
    sha256       text        NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    applied_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    duration_ms  integer     NOT NULL CHECK (duration_ms >= 0),
    applied_by   text        NOT NULL DEFAULT current_user,
    tool_version text        NOT NULL
);

COMMENT ON TABLE bhq_migrate.history IS 'Plans applied by bhq-migrate; written in the same transaction as the plan.';
