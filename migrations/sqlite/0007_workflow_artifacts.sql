-- rawstore workflow domain. Every object is prefixed rs_; tenant_id leads every key.
-- This migration: rs_workflow_artifacts, one per (run, key), deleted with its run. workflow_stage_id is a plain
-- column here: a foreign key on (tenant_id, workflow_stage_id) could not SET NULL without nulling tenant_id, so
-- rawstore checks the stage when it links one and clears the link when it deletes the stage.
CREATE TABLE rs_workflow_artifacts (
    tenant_id         TEXT NOT NULL,
    id                TEXT NOT NULL,
    workflow_run_id   TEXT NOT NULL,
    workflow_stage_id TEXT,
    "key"             TEXT NOT NULL,
    type              TEXT NOT NULL CHECK (type IN ('STAGE_OUTPUT', 'ARTIFACT', 'METADATA')),
    data              TEXT NOT NULL,
    size              INTEGER NOT NULL,
    metadata          TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, workflow_run_id, "key"),
    FOREIGN KEY (tenant_id, workflow_run_id) REFERENCES rs_workflow_runs (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX rs_workflow_artifacts_stage_idx ON rs_workflow_artifacts (tenant_id, workflow_stage_id);
