-- rawstore AI tracing spans (store.spans). Every object is prefixed rs_; tenant_id leads every key.
-- Timestamps are fixed-width UTC text 'YYYY-MM-DD HH:MM:SS.ffffff', written only by rawstore, so text order is time
-- order; text compares byte-wise (BINARY). JSON is stored as its text.
-- One row per span, keyed (tenant_id, trace_id, span_id). Token counts are read out of the attributes when a span
-- is written (input_tokens, output_tokens), so a trace's summary sums two integer columns instead of JSON. The
-- small columns come first: reading them (a summary, a page's keys) never walks the overflow pages of the large JSON
-- values stored last.
-- list_traces reads root spans (no parent) newest first: the partial indexes hold only roots, so a page at any
-- depth is one index range, one per filter that can narrow the list (entity, resource, thread, run), and a child
-- span adds no entry to any of them.
-- This migration: rs_ai_spans.
CREATE TABLE rs_ai_spans (
    tenant_id      TEXT NOT NULL,
    trace_id       TEXT NOT NULL,
    span_id        TEXT NOT NULL,
    parent_span_id TEXT,
    name           TEXT NOT NULL,
    span_type      TEXT NOT NULL,
    started_at     TEXT NOT NULL,
    ended_at       TEXT,
    is_event       INTEGER NOT NULL,
    input_tokens   INTEGER NOT NULL,
    output_tokens  INTEGER NOT NULL,
    entity_type    TEXT,
    entity_id      TEXT,
    entity_name    TEXT,
    resource_id    TEXT,
    thread_id      TEXT,
    run_id         TEXT,
    session_id     TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    error          TEXT,
    scope          TEXT,
    tags           TEXT,
    links          TEXT,
    metadata       TEXT,
    attributes     TEXT,
    input          TEXT,
    output         TEXT,
    PRIMARY KEY (tenant_id, trace_id, span_id)
);
CREATE INDEX rs_ai_spans_roots_idx ON rs_ai_spans (tenant_id, started_at, trace_id, span_id)
    WHERE parent_span_id IS NULL;
CREATE INDEX rs_ai_spans_roots_entity_idx ON rs_ai_spans (tenant_id, entity_id, started_at, trace_id, span_id)
    WHERE parent_span_id IS NULL;
CREATE INDEX rs_ai_spans_roots_resource_idx ON rs_ai_spans (tenant_id, resource_id, started_at, trace_id, span_id)
    WHERE parent_span_id IS NULL;
CREATE INDEX rs_ai_spans_roots_thread_idx ON rs_ai_spans (tenant_id, thread_id, started_at, trace_id, span_id)
    WHERE parent_span_id IS NULL;
CREATE INDEX rs_ai_spans_roots_run_idx ON rs_ai_spans (tenant_id, run_id, started_at, trace_id, span_id)
    WHERE parent_span_id IS NULL;
