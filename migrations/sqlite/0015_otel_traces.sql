-- rawstore legacy OpenTelemetry traces (`store.traces`, Mastra's mastra_traces): one row per span. Every object is
-- prefixed rs_; tenant_id leads every key. Start and end are integer nanoseconds since the Unix epoch, as
-- OpenTelemetry reports them. Text compares byte-wise (BINARY); names are at most 255 characters, so a name-prefix
-- range over (tenant_id, name, ...) is exact. Each list filter has its own index ending in (start_time_ns, id), so a
-- page is an index range read newest first whatever its depth. created_at is fixed-width UTC text
-- 'YYYY-MM-DD HH:MM:SS.ffffff'; JSON columns are TEXT written by the kit.
-- This migration: rs_otel_traces.
CREATE TABLE rs_otel_traces (
    tenant_id      TEXT NOT NULL,
    id             TEXT NOT NULL,
    trace_id       TEXT NOT NULL,
    parent_span_id TEXT,
    name           TEXT NOT NULL CHECK (length(name) <= 255),
    scope          TEXT NOT NULL CHECK (length(scope) <= 255),
    kind           INTEGER NOT NULL,
    start_time_ns  INTEGER NOT NULL,
    end_time_ns    INTEGER NOT NULL,
    attributes     TEXT,
    status         TEXT,
    events         TEXT,
    links          TEXT,
    other          TEXT,
    created_at     TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    CHECK (start_time_ns >= 0 AND end_time_ns >= start_time_ns)
);
CREATE INDEX rs_otel_traces_start_idx ON rs_otel_traces (tenant_id, start_time_ns, id);
CREATE INDEX rs_otel_traces_name_idx ON rs_otel_traces (tenant_id, name, start_time_ns, id);
CREATE INDEX rs_otel_traces_scope_idx ON rs_otel_traces (tenant_id, scope, start_time_ns, id);
