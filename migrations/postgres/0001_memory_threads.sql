-- rawstore memory domain. Every object is prefixed rs_; tenant_id leads every key.
-- This migration: rs_threads.
CREATE TABLE rs_threads (
    tenant_id   text COLLATE "C" NOT NULL,
    id          text COLLATE "C" NOT NULL,
    resource_id text COLLATE "C" NOT NULL,
    title       text,
    metadata    jsonb,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    CONSTRAINT rs_threads_pkey PRIMARY KEY (tenant_id, id)
);
CREATE INDEX rs_threads_resource_created_idx ON rs_threads (tenant_id, resource_id, created_at, id);
CREATE INDEX rs_threads_resource_updated_idx ON rs_threads (tenant_id, resource_id, updated_at, id);
