-- rawstore legacy OpenTelemetry traces (`store.traces`, Mastra's mastra_traces): one row per span. Every object is
-- prefixed rs_; tenant_id leads every key. Start and end are integer nanoseconds since the Unix epoch (bigint), as
-- OpenTelemetry reports them. Names and scopes compare byte-wise (COLLATE "C") and are at most 255 characters, so a
-- name-prefix range over (tenant_id, name, ...) is exact. Each list filter has its own index ending in
-- (start_time_ns, id), so a page is an index range read newest first whatever its depth.
-- This migration: rs_otel_traces.
CREATE TABLE rs_otel_traces (
    tenant_id      text COLLATE "C" NOT NULL,
    id             text COLLATE "C" NOT NULL,
    trace_id       text COLLATE "C" NOT NULL,
    parent_span_id text COLLATE "C",
    name           text COLLATE "C" NOT NULL,
    scope          text COLLATE "C" NOT NULL,
    kind           integer NOT NULL,
    start_time_ns  bigint NOT NULL,
    end_time_ns    bigint NOT NULL,
    attributes     jsonb,
    status         jsonb,
    events         jsonb,
    links          jsonb,
    other          jsonb,
    created_at     timestamptz NOT NULL,
    CONSTRAINT rs_otel_traces_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT rs_otel_traces_name_len CHECK (char_length(name) <= 255),
    CONSTRAINT rs_otel_traces_scope_len CHECK (char_length(scope) <= 255),
    CONSTRAINT rs_otel_traces_times CHECK (start_time_ns >= 0 AND end_time_ns >= start_time_ns)
);
CREATE INDEX rs_otel_traces_start_idx ON rs_otel_traces (tenant_id, start_time_ns, id);
CREATE INDEX rs_otel_traces_name_idx ON rs_otel_traces (tenant_id, name, start_time_ns, id);
CREATE INDEX rs_otel_traces_scope_idx ON rs_otel_traces (tenant_id, scope, start_time_ns, id);
