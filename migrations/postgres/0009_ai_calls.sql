-- rawstore AI call log. Every object is prefixed rs_; tenant_id leads every key.
-- Costs are integer nano-units (cost x 10^9), so sums are exact. Topics compare byte-wise (COLLATE "C"), which
-- lets a topic-prefix range use the (tenant_id, topic, ...) index; the length check keeps that range exact.
-- This migration: rs_ai_calls.
CREATE TABLE rs_ai_calls (
    tenant_id     text COLLATE "C" NOT NULL,
    id            text COLLATE "C" NOT NULL,
    topic         text COLLATE "C" NOT NULL,
    call_type     text NOT NULL,
    model_key     text COLLATE "C" NOT NULL,
    model_id      text NOT NULL,
    prompt        text NOT NULL,
    response      text NOT NULL,
    input_tokens  integer NOT NULL,
    output_tokens integer NOT NULL,
    cost_nanos    bigint NOT NULL,
    metadata      jsonb,
    created_at    timestamptz NOT NULL,
    CONSTRAINT rs_ai_calls_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT rs_ai_calls_topic_len CHECK (char_length(topic) <= 255)
);
CREATE INDEX rs_ai_calls_topic_idx ON rs_ai_calls (tenant_id, topic, created_at, id);
