-- Steps of plans that apply --online started and did not finish (rows exist only while a plan is in progress).
SELECT plan_id, array_agg(format('step %s of %s: %s', step, steps, summary) ORDER BY step)
FROM bhq_migrate.steps
WHERE state <> 'done'
GROUP BY plan_id
ORDER BY plan_id
