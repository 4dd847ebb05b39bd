-- rawstore workflow domain. Every object is prefixed rs_; tenant_id leads every key.
-- This migration: rs_workflow_stages, one row per (run, stage_id), deleted with its run. Stages of a run are read
-- in (execution_group, stage_number) order; pollers read SUSPENDED stages by next_poll_at (status leads that index,
-- as MariaDB has no partial indexes).
CREATE TABLE rs_workflow_stages (
    tenant_id       VARCHAR(64)  NOT NULL,
    id              VARCHAR(255) NOT NULL,
    workflow_run_id VARCHAR(255) NOT NULL,
    stage_id        VARCHAR(255) NOT NULL,
    stage_name      VARCHAR(255) NOT NULL,
    stage_number    INT NOT NULL,
    execution_group INT NOT NULL,
    status          VARCHAR(16)  NOT NULL,
    attempt         INT NOT NULL,
    started_at      DATETIME(6) NULL,
    completed_at    DATETIME(6) NULL,
    duration        BIGINT NULL,
    input_data      JSON NULL,
    output_data     JSON NULL,
    config          JSON NULL,
    suspended_state JSON NULL,
    resume_data     JSON NULL,
    next_poll_at    DATETIME(6) NULL,
    poll_interval   BIGINT NULL,
    max_wait_until  DATETIME(6) NULL,
    metrics         JSON NULL,
    embedding_info  JSON NULL,
    error_message   MEDIUMTEXT NULL,
    version         BIGINT NOT NULL,
    created_at      DATETIME(6) NOT NULL,
    updated_at      DATETIME(6) NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE KEY rs_workflow_stages_run_stage_key (tenant_id, workflow_run_id, stage_id),
    KEY rs_workflow_stages_order_idx (tenant_id, workflow_run_id, execution_group, stage_number, id),
    KEY rs_workflow_stages_poll_idx (tenant_id, status, next_poll_at, id),
    CONSTRAINT rs_workflow_stages_status_check
        CHECK (status IN ('PENDING', 'RUNNING', 'SUSPENDED', 'COMPLETED', 'FAILED', 'CANCELLED', 'SKIPPED')),
    CONSTRAINT rs_workflow_stages_run_fk FOREIGN KEY (tenant_id, workflow_run_id)
        REFERENCES rs_workflow_runs (tenant_id, id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
