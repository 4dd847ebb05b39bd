-- rawstore workflow domain. Every object is prefixed rs_; tenant_id leads every key.
-- This migration: rs_workflow_logs. A log line may belong to no run; one that does is deleted with its run, and one
-- linked to a stage with that stage. Lines are read oldest first per run or per stage.
CREATE TABLE rs_workflow_logs (
    tenant_id         text COLLATE "C" NOT NULL,
    id                text COLLATE "C" NOT NULL,
    workflow_run_id   text COLLATE "C",
    workflow_stage_id text COLLATE "C",
    level             text NOT NULL,
    message           text NOT NULL,
    metadata          jsonb,
    created_at        timestamptz NOT NULL,
    CONSTRAINT rs_workflow_logs_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT rs_workflow_logs_level_check CHECK (level IN ('DEBUG', 'INFO', 'WARN', 'ERROR')),
    CONSTRAINT rs_workflow_logs_run_fk FOREIGN KEY (tenant_id, workflow_run_id)
        REFERENCES rs_workflow_runs (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT rs_workflow_logs_stage_fk FOREIGN KEY (tenant_id, workflow_stage_id)
        REFERENCES rs_workflow_stages (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX rs_workflow_logs_run_idx ON rs_workflow_logs (tenant_id, workflow_run_id, created_at, id);
CREATE INDEX rs_workflow_logs_stage_idx ON rs_workflow_logs (tenant_id, workflow_stage_id, created_at, id);
