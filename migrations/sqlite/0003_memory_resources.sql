-- rawstore memory domain. Every object is prefixed rs_; tenant_id leads every key.
-- Timestamps are fixed-width UTC text 'YYYY-MM-DD HH:MM:SS.ffffff', written only by rawstore, so text order is time order.
-- This migration: rs_resources.
CREATE TABLE rs_resources (
    tenant_id      TEXT NOT NULL,
    id             TEXT NOT NULL,
    working_memory TEXT,
    metadata       TEXT CHECK (metadata IS NULL OR json_valid(metadata)),
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
