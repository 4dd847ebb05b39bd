-- rawstore memory domain. Every object is prefixed rs_; tenant_id leads every key.
-- This migration: rs_messages.
CREATE TABLE rs_messages (
    tenant_id   text COLLATE "C" NOT NULL,
    id          text COLLATE "C" NOT NULL,
    thread_id   text COLLATE "C" NOT NULL,
    role        text NOT NULL,
    type        text NOT NULL,
    content     jsonb NOT NULL,
    resource_id text COLLATE "C",
    created_at  timestamptz NOT NULL,
    CONSTRAINT rs_messages_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT rs_messages_thread_fk FOREIGN KEY (tenant_id, thread_id) REFERENCES rs_threads (tenant_id, id)
);
CREATE INDEX rs_messages_thread_idx ON rs_messages (tenant_id, thread_id, created_at, id);
