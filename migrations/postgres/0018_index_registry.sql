-- rawstore schema operations (store.schema): the indexes that create_index made, so that list_indexes can tell them
-- ("user") from the migrations' own ("migration") and drop_index drops only them.
-- An index belongs to a table, not to a tenant: this table has no tenant_id, and every tenant sees the same rows.
-- `definition` is the kit's own description of the index (table, columns, unique, method, where) as JSON, written
-- before the index is built; a row whose index does not exist (a build that was interrupted) is ignored by every
-- listing and cleared by drop_index or by a create_index of the same definition.
-- This migration: rs_index_registry.
CREATE TABLE rs_index_registry (
    name        text COLLATE "C" NOT NULL,
    table_name  text COLLATE "C" NOT NULL,
    definition  jsonb NOT NULL,
    created_at  timestamptz NOT NULL,
    CONSTRAINT rs_index_registry_pkey PRIMARY KEY (name)
);
