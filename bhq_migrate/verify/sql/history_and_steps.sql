-- The plans bhq-migrate recorded as applied, and the steps apply --online has not finished, in one round trip
-- (read only when context.sql found both tables; history.sql alone otherwise). Step rows have sha256 NULL and
-- their descriptions in "missing".
SELECT id, name, sha256, NULL::text[] AS missing
FROM bhq_migrate.history
UNION ALL
SELECT plan_id, '', NULL, array_agg(format('step %s of %s: %s', step, steps, summary) ORDER BY step)
FROM bhq_migrate.steps
WHERE state <> 'done'
GROUP BY plan_id
ORDER BY 1
