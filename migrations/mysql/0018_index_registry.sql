-- rawstore schema operations (store.schema): the indexes that create_index made, so that list_indexes can tell them
-- ("user") from the migrations' own ("migration") and drop_index drops only them.
-- An index belongs to a table, not to a tenant: this table has no tenant_id, and every tenant sees the same rows.
-- `definition` is the kit's own description of the index (table, columns, unique, method) as JSON, written before
-- the index is built; a row whose index does not exist (a build that was interrupted) is ignored by every listing
-- and cleared by drop_index or by a create_index of the same definition.
-- MariaDB names an index within its table only; rawstore keeps index names unique across the kit's tables, so the
-- name alone is the key here as on PostgreSQL and SQLite.
-- This migration: rs_index_registry.
CREATE TABLE rs_index_registry (
    name        VARCHAR(64) NOT NULL,
    table_name  VARCHAR(64) NOT NULL,
    definition  JSON NOT NULL,
    created_at  DATETIME(6) NOT NULL,
    PRIMARY KEY (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;
