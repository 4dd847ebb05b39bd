-- rawstore workflow domain. Every object is prefixed rs_; tenant_id leads every key.
-- This migration: rs_workflow_artifacts, one per (run, key), deleted with its run. `key` is at most 400 characters,
-- which keeps the unique key within InnoDB's 3072-byte limit. workflow_stage_id is a plain column here: a foreign
-- key on (tenant_id, workflow_stage_id) could not SET NULL without nulling tenant_id, so rawstore checks the stage
-- when it links one and clears the link when it deletes the stage.
CREATE TABLE rs_workflow_artifacts (
    tenant_id         VARCHAR(64)  NOT NULL,
    id                VARCHAR(255) NOT NULL,
    workflow_run_id   VARCHAR(255) NOT NULL,
    workflow_stage_id VARCHAR(255) NULL,
    `key`             VARCHAR(400) NOT NULL,
    type              VARCHAR(16)  NOT NULL,
    data              JSON NOT NULL,
    size              BIGINT NOT NULL,
    metadata          JSON NULL,
    created_at        DATETIME(6) NOT NULL,
    updated_at        DATETIME(6) NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE KEY rs_workflow_artifacts_run_key (tenant_id, workflow_run_id, `key`),
    KEY rs_workflow_artifacts_stage_idx (tenant_id, workflow_stage_id),
    CONSTRAINT rs_workflow_artifacts_type_check CHECK (type IN ('STAGE_OUTPUT', 'ARTIFACT', 'METADATA')),
    CONSTRAINT rs_workflow_artifacts_run_fk FOREIGN KEY (tenant_id, workflow_run_id)
        REFERENCES rs_workflow_runs (tenant_id, id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
