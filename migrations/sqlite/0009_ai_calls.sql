-- rawstore AI call log. Every object is prefixed rs_; tenant_id leads every key.
-- Timestamps are fixed-width UTC text 'YYYY-MM-DD HH:MM:SS.ffffff'. Costs are integer nano-units (cost x 10^9).
-- Text compares byte-wise (BINARY); the length check keeps a topic-prefix range over the index exact.
-- This migration: rs_ai_calls.
CREATE TABLE rs_ai_calls (
    tenant_id     TEXT NOT NULL,
    id            TEXT NOT NULL,
    topic         TEXT NOT NULL CHECK (length(topic) <= 255),
    call_type     TEXT NOT NULL,
    model_key     TEXT NOT NULL,
    model_id      TEXT NOT NULL,
    prompt        TEXT NOT NULL,
    response      TEXT NOT NULL,
    input_tokens  INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cost_nanos    INTEGER NOT NULL,
    metadata      TEXT,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX rs_ai_calls_topic_idx ON rs_ai_calls (tenant_id, topic, created_at, id);
