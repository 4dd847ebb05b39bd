-- Statements of `rawstore reset` and `rawstore doctor` on PostgreSQL (rawstore/deploy.py). Not loaded with the query
-- files (it is a folder below them). Queries take :name parameters; templates ({name}) are filled only with table
-- names read from the catalog that match ^rs_[a-z0-9_]+$, quoted here.

-- name: server_version
SELECT current_setting('server_version') AS version

-- name: kit_tables
-- Every table of the kit in the store's schema (yoyo's history included); `kind` says how to drop it.
SELECT c.relname AS name, 'table' AS kind
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = :schema AND c.relkind IN ('r', 'p') AND c.relname LIKE 'rs!_%' ESCAPE '!'
ORDER BY c.relname

-- name: kit_references
-- Foreign keys that point at a kit table: (referencing table, referenced kit table, constraint). A referencing
-- table outside the kit (or in another schema) is the application's.
SELECT CASE WHEN cn.nspname = :schema THEN cl.relname ELSE cn.nspname || '.' || cl.relname END AS child,
       pl.relname AS parent, con.conname AS name
FROM pg_constraint con
JOIN pg_class cl ON cl.oid = con.conrelid JOIN pg_namespace cn ON cn.oid = cl.relnamespace
JOIN pg_class pl ON pl.oid = con.confrelid JOIN pg_namespace pn ON pn.oid = pl.relnamespace
WHERE con.contype = 'f' AND pn.nspname = :schema AND pl.relname LIKE 'rs!_%' ESCAPE '!'

-- name: applied_migrations
SELECT migration_id FROM {schema}rs_yoyo_migration

-- name: rls_tables
-- Kit tables holding tenant rows (a tenant_id column), with their row-level security state and whether the
-- kit's tenant policy is on them.
SELECT c.relname AS name, c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced,
       EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = 'rs_tenant_isolation') AS policy
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = :schema AND c.relkind IN ('r', 'p') AND c.relname LIKE 'rs!_%' ESCAPE '!'
  AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)
ORDER BY c.relname

-- name: create_policy
-- The policy of migration 0020, for a kit table made after it (store.memories' per-dimension vector tables).
CREATE POLICY rs_tenant_isolation ON {schema}"{name}"
    USING (tenant_id = current_setting('rawstore.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('rawstore.tenant_id', true))

-- name: enable_rls
-- FORCE: the table's owner (the role that migrated) is held to the policy too.
ALTER TABLE {schema}"{name}" ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY

-- name: disable_rls
ALTER TABLE {schema}"{name}" NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY

-- name: drop_table
DROP TABLE IF EXISTS {schema}"{name}"
