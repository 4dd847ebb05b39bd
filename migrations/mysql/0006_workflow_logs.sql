-- rawstore workflow domain. Every object is prefixed rs_; tenant_id leads every key.
-- This migration: rs_workflow_logs. A log line may belong to no run; one that does is deleted with its run, and one
-- linked to a stage with that stage. Lines are read oldest first per run or per stage.
CREATE TABLE rs_workflow_logs (
    tenant_id         VARCHAR(64)  NOT NULL,
    id                VARCHAR(255) NOT NULL,
    workflow_run_id   VARCHAR(255) NULL,
    workflow_stage_id VARCHAR(255) NULL,
    level             VARCHAR(8)   NOT NULL,
    message           MEDIUMTEXT NOT NULL,
    metadata          JSON NULL,
    created_at        DATETIME(6) NOT NULL,
    PRIMARY KEY (tenant_id, id),
    KEY rs_workflow_logs_run_idx (tenant_id, workflow_run_id, created_at, id),
    KEY rs_workflow_logs_stage_idx (tenant_id, workflow_stage_id, created_at, id),
    CONSTRAINT rs_workflow_logs_level_check CHECK (level IN ('DEBUG', 'INFO', 'WARN', 'ERROR')),
    CONSTRAINT rs_workflow_logs_run_fk FOREIGN KEY (tenant_id, workflow_run_id)
        REFERENCES rs_workflow_runs (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT rs_workflow_logs_stage_fk FOREIGN KEY (tenant_id, workflow_stage_id)
        REFERENCES rs_workflow_stages (tenant_id, id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
