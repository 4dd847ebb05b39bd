-- rawstore AI call log. Every object is prefixed rs_; tenant_id leads every key.
-- utf8mb4_nopad_bin: strings compare by code point and trailing spaces count, as on PostgreSQL ("C") and SQLite,
-- so 'gpt' and 'gpt ' are two model keys and a topic-prefix range over the index is exact.
-- Costs are integer nano-units (cost x 10^9), so sums are exact. DATETIME(6) holds UTC.
-- One table per migration: MariaDB commits each DDL statement.
-- This migration: rs_ai_calls.
CREATE TABLE rs_ai_calls (
    tenant_id     VARCHAR(64)  NOT NULL,
    id            VARCHAR(255) NOT NULL,
    topic         VARCHAR(255) NOT NULL,
    call_type     VARCHAR(64)  NOT NULL,
    model_key     VARCHAR(255) NOT NULL,
    model_id      VARCHAR(255) NOT NULL,
    prompt        LONGTEXT NOT NULL,
    response      LONGTEXT NOT NULL,
    input_tokens  INT NOT NULL,
    output_tokens INT NOT NULL,
    cost_nanos    BIGINT NOT NULL,
    metadata      JSON NULL,
    created_at    DATETIME(6) NOT NULL,
    PRIMARY KEY (tenant_id, id),
    KEY rs_ai_calls_topic_idx (tenant_id, topic, created_at, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;
