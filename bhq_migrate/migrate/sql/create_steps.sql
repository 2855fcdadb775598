-- Progress of plans applied with `apply --online`: one row per step, written as the step completes (in the
-- step's own transaction when it has one). The plan's row in bhq_migrate.history is written, and these rows
-- deleted, in one transaction once every step is done; rows here therefore mean "in progress".
CREATE SCHEMA IF NOT EXISTS bhq_migrate;

CREATE TABLE IF NOT EXISTS bhq_migrate.steps (
    plan_id     text        NOT NULL,
    sha256      text        NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    step        integer     NOT NULL CHECK (step >= 1),
    steps       integer     NOT NULL CHECK (steps >= step),
    kind        text        NOT NULL,
    summary     text        NOT NULL,
    definition  jsonb       NOT NULL,
    state       text        NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'started', 'done')),
    updated_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (plan_id, step)
);

COMMENT ON TABLE bhq_migrate.steps IS 'Steps of plans being applied by bhq-migrate apply --online (rows mean in progress).';
