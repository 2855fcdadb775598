SELECT plan_id, sha256, step, steps, kind, summary, definition, state
FROM bhq_migrate.steps
ORDER BY plan_id, step
