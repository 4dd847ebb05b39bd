-- Statements of `rawstore reset` and `rawstore doctor` on MariaDB/MySQL (rawstore/deploy.py). Not loaded with the
-- query files (it is a folder below them). Templates ({name}) are filled only with table names read from the
-- catalog that match ^rs_[a-z0-9_]+$, quoted here.

-- name: server_version
SELECT VERSION() AS version

-- name: kit_tables
SELECT table_name AS name, 'table' AS kind
FROM information_schema.tables
WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' AND table_name LIKE 'rs!_%' ESCAPE '!'
ORDER BY table_name

-- name: kit_references
SELECT table_name AS child, referenced_table_name AS parent, constraint_name AS name
FROM information_schema.referential_constraints
WHERE unique_constraint_schema = DATABASE() AND referenced_table_name LIKE 'rs!_%' ESCAPE '!'

-- name: applied_migrations
SELECT migration_id FROM rs_yoyo_migration

-- name: drop_table
DROP TABLE IF EXISTS `{name}`
