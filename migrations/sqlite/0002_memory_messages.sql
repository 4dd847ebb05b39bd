-- rawstore memory domain. Every object is prefixed rs_; tenant_id leads every key.
-- Timestamps are fixed-width UTC text 'YYYY-MM-DD HH:MM:SS.ffffff', written only by rawstore, so text order is time order.
-- This migration: rs_messages.
CREATE TABLE rs_messages (
    tenant_id   TEXT NOT NULL,
    id          TEXT NOT NULL,
    thread_id   TEXT NOT NULL,
    role        TEXT NOT NULL,
    type        TEXT NOT NULL,
    content     TEXT NOT NULL,
    resource_id TEXT,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, thread_id) REFERENCES rs_threads (tenant_id, id)
);
CREATE INDEX rs_messages_thread_idx ON rs_messages (tenant_id, thread_id, created_at, id);
