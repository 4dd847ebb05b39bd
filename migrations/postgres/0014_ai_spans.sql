-- rawstore AI tracing spans (store.spans). Every object is prefixed rs_; tenant_id leads every key.
-- One row per span, keyed (tenant_id, trace_id, span_id). Token counts are read out of the attributes when a span
-- is written (input_tokens, output_tokens), so a trace's summary sums two integer columns instead of JSON.
-- list_traces reads root spans (no parent) newest first: the partial indexes hold only roots, so a page at any
-- depth is one index range, one per filter that can narrow the list (entity, resource, thread, run), and a child
-- span adds no entry to any of them.
-- This migration: rs_ai_spans.
CREATE TABLE rs_ai_spans (
    tenant_id      text COLLATE "C" NOT NULL,
    trace_id       text COLLATE "C" NOT NULL,
    span_id        text COLLATE "C" NOT NULL,
    parent_span_id text COLLATE "C",
    name           text NOT NULL,
    span_type      text NOT NULL,
    started_at     timestamptz NOT NULL,
    ended_at       timestamptz,
    is_event       boolean NOT NULL,
    input_tokens   bigint NOT NULL,
    output_tokens  bigint NOT NULL,
    entity_type    text,
    entity_id      text COLLATE "C",
    entity_name    text,
    resource_id    text COLLATE "C",
    thread_id      text COLLATE "C",
    run_id         text COLLATE "C",
    session_id     text COLLATE "C",
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    error          jsonb,
    scope          jsonb,
    tags           jsonb,
    links          jsonb,
    metadata       jsonb,
    attributes     jsonb,
    input          jsonb,
    output         jsonb,
    CONSTRAINT rs_ai_spans_pkey PRIMARY KEY (tenant_id, trace_id, span_id)
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
