-- rawstore workflow domain. Every object is prefixed rs_; tenant_id leads every key.
-- This migration: rs_workflow_stages, one row per (run, stage_id), deleted with its run. Stages of a run are read
-- in (execution_group, stage_number) order; pollers read SUSPENDED stages by next_poll_at from a partial index.
CREATE TABLE rs_workflow_stages (
    tenant_id       TEXT NOT NULL,
    id              TEXT NOT NULL,
    workflow_run_id TEXT NOT NULL,
    stage_id        TEXT NOT NULL,
    stage_name      TEXT NOT NULL,
    stage_number    INTEGER NOT NULL,
    execution_group INTEGER NOT NULL,
    status          TEXT NOT NULL
        CHECK (status IN ('PENDING', 'RUNNING', 'SUSPENDED', 'COMPLETED', 'FAILED', 'CANCELLED', 'SKIPPED')),
    attempt         INTEGER NOT NULL,
    started_at      TEXT,
    completed_at    TEXT,
    duration        INTEGER,
    input_data      TEXT,
    output_data     TEXT,
    config          TEXT,
    suspended_state TEXT,
    resume_data     TEXT,
    next_poll_at    TEXT,
    poll_interval   INTEGER,
    max_wait_until  TEXT,
    metrics         TEXT,
    embedding_info  TEXT,
    error_message   TEXT,
    version         INTEGER NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, workflow_run_id, stage_id),
    FOREIGN KEY (tenant_id, workflow_run_id) REFERENCES rs_workflow_runs (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX rs_workflow_stages_order_idx
    ON rs_workflow_stages (tenant_id, workflow_run_id, execution_group, stage_number, id);
CREATE INDEX rs_workflow_stages_poll_idx ON rs_workflow_stages (tenant_id, next_poll_at, id)
    WHERE status = 'SUSPENDED';
