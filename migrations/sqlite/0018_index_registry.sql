-- rawstore schema operations (store.schema): the indexes that create_index made, so that list_indexes can tell them
-- ("user") from the migrations' own ("migration") and drop_index drops only them.
-- An index belongs to a table, not to a tenant: this table has no tenant_id, and every tenant sees the same rows.
-- `definition` is the kit's own description of the index (table, columns, unique, method, where) as JSON, written
-- before the index is built; a row whose index does not exist (a build that was interrupted) is ignored by every
-- listing and cleared by drop_index or by a create_index of the same definition.
-- Timestamps are fixed-width UTC text 'YYYY-MM-DD HH:MM:SS.ffffff'.
-- This migration: rs_index_registry.
CREATE TABLE rs_index_registry (
    name        TEXT NOT NULL,
    table_name  TEXT NOT NULL,
    definition  TEXT NOT NULL CHECK (json_valid(definition)),
    created_at  TEXT NOT NULL,
    PRIMARY KEY (name)
);
