-- rawstore AI tracing spans (store.spans). Every object is prefixed rs_; tenant_id leads every key.
-- utf8mb4_nopad_bin: ids compare by code point and trailing spaces count, as on PostgreSQL ("C") and SQLite.
-- DATETIME(6) holds UTC. JSON is LONGTEXT checked by JSON_VALID. One table per migration: MariaDB commits each DDL
-- statement.
-- One row per span, keyed (tenant_id, trace_id, span_id); trace and span ids are at most 128 characters so that
-- every index key stays within InnoDB's 3072 bytes. Token counts are read out of the attributes when a span is
-- written (input_tokens, output_tokens), so a trace's summary sums two integer columns instead of JSON.
-- list_traces reads root spans (no parent) newest first. MariaDB has no partial indexes: the stored generated
-- column is_root (1 for a span without a parent, else 0) follows tenant_id in each roots index, so a page is one
-- index range over roots only (is_root = 1), at any depth, one index per filter that can narrow the list (entity,
-- resource, thread, run). Child spans still add an entry (under is_root = 0) to each.
-- This migration: rs_ai_spans.
CREATE TABLE rs_ai_spans (
    tenant_id      VARCHAR(64)   NOT NULL,
    trace_id       VARCHAR(128)  NOT NULL,
    span_id        VARCHAR(128)  NOT NULL,
    parent_span_id VARCHAR(128)  NULL,
    name           VARCHAR(1024) NOT NULL,
    span_type      VARCHAR(64)   NOT NULL,
    started_at     DATETIME(6)   NOT NULL,
    ended_at       DATETIME(6)   NULL,
    is_event       BOOLEAN       NOT NULL,
    input_tokens   BIGINT        NOT NULL,
    output_tokens  BIGINT        NOT NULL,
    entity_type    VARCHAR(64)   NULL,
    entity_id      VARCHAR(255)  NULL,
    entity_name    VARCHAR(255)  NULL,
    resource_id    VARCHAR(255)  NULL,
    thread_id      VARCHAR(255)  NULL,
    run_id         VARCHAR(255)  NULL,
    session_id     VARCHAR(255)  NULL,
    created_at     DATETIME(6)   NOT NULL,
    updated_at     DATETIME(6)   NOT NULL,
    error          JSON NULL,
    scope          JSON NULL,
    tags           JSON NULL,
    links          JSON NULL,
    metadata       JSON NULL,
    attributes     JSON NULL,
    input          JSON NULL,
    output         JSON NULL,
    is_root        TINYINT AS (parent_span_id IS NULL) PERSISTENT,
    PRIMARY KEY (tenant_id, trace_id, span_id),
    KEY rs_ai_spans_roots_idx (tenant_id, is_root, started_at, trace_id, span_id),
    KEY rs_ai_spans_roots_entity_idx (tenant_id, is_root, entity_id, started_at, trace_id, span_id),
    KEY rs_ai_spans_roots_resource_idx (tenant_id, is_root, resource_id, started_at, trace_id, span_id),
    KEY rs_ai_spans_roots_thread_idx (tenant_id, is_root, thread_id, started_at, trace_id, span_id),
    KEY rs_ai_spans_roots_run_idx (tenant_id, is_root, run_id, started_at, trace_id, span_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;
