-- rawstore workflow domain. Every object is prefixed rs_; tenant_id leads every key.
-- This migration: rs_workflow_logs. A log line may belong to no run; one that does is deleted with its run, and one
-- linked to a stage with that stage. Lines are read oldest first per run or per stage.
CREATE TABLE rs_workflow_logs (
    tenant_id         TEXT NOT NULL,
    id                TEXT NOT NULL,
    workflow_run_id   TEXT,
    workflow_stage_id TEXT,
    level             TEXT NOT NULL CHECK (level IN ('DEBUG', 'INFO', 'WARN', 'ERROR')),
    message           TEXT NOT NULL,
    metadata          TEXT,
    created_at        TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, workflow_run_id) REFERENCES rs_workflow_runs (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, workflow_stage_id) REFERENCES rs_workflow_stages (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX rs_workflow_logs_run_idx ON rs_workflow_logs (tenant_id, workflow_run_id, created_at, id);
CREATE INDEX rs_workflow_logs_stage_idx ON rs_workflow_logs (tenant_id, workflow_stage_id, created_at, id);
