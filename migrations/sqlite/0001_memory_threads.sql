-- rawstore memory domain. Every object is prefixed rs_; tenant_id leads every key.
-- Timestamps are fixed-width UTC text 'YYYY-MM-DD HH:MM:SS.ffffff', written only by rawstore, so text order is time order.
-- This migration: rs_threads.
CREATE TABLE rs_threads (
    tenant_id   TEXT NOT NULL,
    id          TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    title       TEXT,
    metadata    TEXT CHECK (metadata IS NULL OR json_valid(metadata)),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX rs_threads_resource_created_idx ON rs_threads (tenant_id, resource_id, created_at, id);
CREATE INDEX rs_threads_resource_updated_idx ON rs_threads (tenant_id, resource_id, updated_at, id);
