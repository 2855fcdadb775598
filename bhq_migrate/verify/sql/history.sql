-- The plans bhq-migrate recorded as applied (read only when context.sql found the table).
SELECT id, name, sha256
FROM bhq_migrate.history
ORDER BY id
