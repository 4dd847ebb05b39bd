-- rawstore workflow domain. Every object is prefixed rs_; tenant_id leads every key.
-- This migration: rs_workflow_artifacts, one per (run, key), deleted with its run. Deleting the linked stage only
-- clears workflow_stage_id (the column-list form of SET NULL leaves tenant_id alone).
CREATE TABLE rs_workflow_artifacts (
    tenant_id         text COLLATE "C" NOT NULL,
    id                text COLLATE "C" NOT NULL,
    workflow_run_id   text COLLATE "C" NOT NULL,
    workflow_stage_id text COLLATE "C",
    "key"             text COLLATE "C" NOT NULL,
    type              text NOT NULL,
    data              jsonb NOT NULL,
    size              bigint NOT NULL,
    metadata          jsonb,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    CONSTRAINT rs_workflow_artifacts_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT rs_workflow_artifacts_run_key UNIQUE (tenant_id, workflow_run_id, "key"),
    CONSTRAINT rs_workflow_artifacts_type_check CHECK (type IN ('STAGE_OUTPUT', 'ARTIFACT', 'METADATA')),
    CONSTRAINT rs_workflow_artifacts_run_fk FOREIGN KEY (tenant_id, workflow_run_id)
        REFERENCES rs_workflow_runs (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT rs_workflow_artifacts_stage_fk FOREIGN KEY (tenant_id, workflow_stage_id)
        REFERENCES rs_workflow_stages (tenant_id, id) ON DELETE SET NULL (workflow_stage_id)
);
CREATE INDEX rs_workflow_artifacts_stage_idx ON rs_workflow_artifacts (tenant_id, workflow_stage_id);
