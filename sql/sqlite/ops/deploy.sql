-- Statements of `rawstore reset` and `rawstore doctor` on SQLite (rawstore/deploy.py). Not loaded with the query
-- files (it is a folder below them). Templates ({name}) are filled only with table names read from the catalog
-- that match ^rs_[a-z0-9_]+$, quoted here.

-- name: server_version
SELECT sqlite_version() AS version

-- name: kit_tables
-- Full-text indexes are virtual tables: dropping one drops its shadow tables, which are not listed.
SELECT name, CASE WHEN type = 'virtual' THEN 'virtual' ELSE 'table' END AS kind
FROM pragma_table_list
WHERE schema = 'main' AND type IN ('table', 'virtual') AND name LIKE 'rs!_%' ESCAPE '!'
ORDER BY name

-- name: kit_references
SELECT m.name AS child, f."table" AS parent, m.name || '.fk' || f.id AS name
FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f
WHERE m.type = 'table' AND f."table" LIKE 'rs!_%' ESCAPE '!'

-- name: applied_migrations
SELECT migration_id FROM rs_yoyo_migration

-- name: drop_table
DROP TABLE IF EXISTS "{name}"
