-- rawstore memory domain. Every object is prefixed rs_; tenant_id leads every key.
-- This migration: rs_resources.
CREATE TABLE rs_resources (
    tenant_id      text COLLATE "C" NOT NULL,
    id             text COLLATE "C" NOT NULL,
    working_memory text,
    metadata       jsonb,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    CONSTRAINT rs_resources_pkey PRIMARY KEY (tenant_id, id)
);
