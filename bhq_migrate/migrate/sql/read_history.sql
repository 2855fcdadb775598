SELECT id, name, sha256, applied_at, duration_ms, applied_by, tool_version
FROM bhq_migrate.history
ORDER BY id
