-- rawstore legacy OpenTelemetry traces (`store.traces`, Mastra's mastra_traces): one row per span. Every object is
-- prefixed rs_; tenant_id leads every key. Start and end are integer nanoseconds since the Unix epoch (BIGINT), as
-- OpenTelemetry reports them. utf8mb4_nopad_bin: names and scopes compare by code point, trailing spaces count, and
-- names are at most 255 characters, so a name-prefix range over (tenant_id, name, ...) is exact. Each list filter
-- has its own index ending in (start_time_ns, id), so a page is an index range read newest first whatever its depth.
-- JSON columns are LONGTEXT checked by JSON_VALID (MariaDB's JSON). DATETIME(6) holds UTC.
-- One table per migration: MariaDB commits each DDL statement.
-- This migration: rs_otel_traces.
CREATE TABLE rs_otel_traces (
    tenant_id      VARCHAR(64)  NOT NULL,
    id             VARCHAR(255) NOT NULL,
    trace_id       VARCHAR(255) NOT NULL,
    parent_span_id VARCHAR(255) NULL,
    name           VARCHAR(255) NOT NULL,
    scope          VARCHAR(255) NOT NULL,
    kind           INT NOT NULL,
    start_time_ns  BIGINT NOT NULL,
    end_time_ns    BIGINT NOT NULL,
    attributes     JSON NULL,
    status         JSON NULL,
    events         JSON NULL,
    links          JSON NULL,
    other          JSON NULL,
    created_at     DATETIME(6) NOT NULL,
    PRIMARY KEY (tenant_id, id),
    KEY rs_otel_traces_start_idx (tenant_id, start_time_ns, id),
    KEY rs_otel_traces_name_idx (tenant_id, name, start_time_ns, id),
    KEY rs_otel_traces_scope_idx (tenant_id, scope, start_time_ns, id),
    CONSTRAINT rs_otel_traces_times CHECK (start_time_ns >= 0 AND end_time_ns >= start_time_ns)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;
