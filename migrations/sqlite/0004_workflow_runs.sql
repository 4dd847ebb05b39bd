-- rawstore workflow domain. Every object is prefixed rs_; tenant_id leads every key.
-- Timestamps are fixed-width UTC text 'YYYY-MM-DD HH:MM:SS.ffffff', written only by rawstore, so text order is time order.
-- This migration: rs_workflow_runs. Claims take the oldest run of the highest priority among PENDING ones, from a
-- partial index that finished runs never enter; listings by status come oldest first.
CREATE TABLE rs_workflow_runs (
    tenant_id     TEXT NOT NULL,
    id            TEXT NOT NULL,
    workflow_id   TEXT NOT NULL,
    workflow_name TEXT NOT NULL,
    workflow_type TEXT NOT NULL,
    status        TEXT NOT NULL
        CHECK (status IN ('PENDING', 'RUNNING', 'SUSPENDED', 'COMPLETED', 'FAILED', 'CANCELLED', 'SKIPPED')),
    priority      INTEGER NOT NULL,
    started_at    TEXT,
    completed_at  TEXT,
    duration      INTEGER,
    input         TEXT NOT NULL,
    output        TEXT,
    config        TEXT NOT NULL,
    total_cost    REAL NOT NULL,
    total_tokens  INTEGER NOT NULL,
    metadata      TEXT,
    version       INTEGER NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX rs_workflow_runs_status_idx ON rs_workflow_runs (tenant_id, status, created_at, id);
CREATE INDEX rs_workflow_runs_claim_idx ON rs_workflow_runs (tenant_id, priority DESC, created_at, id)
    WHERE status = 'PENDING';
