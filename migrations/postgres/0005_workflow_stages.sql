-- rawstore workflow domain. Every object is prefixed rs_; tenant_id leads every key.
-- This migration: rs_workflow_stages, one row per (run, stage_id), deleted with its run. Stages of a run are read
-- in (execution_group, stage_number) order; pollers read SUSPENDED stages by next_poll_at from a partial index.
CREATE TABLE rs_workflow_stages (
    tenant_id       text COLLATE "C" NOT NULL,
    id              text COLLATE "C" NOT NULL,
    workflow_run_id text COLLATE "C" NOT NULL,
    stage_id        text COLLATE "C" NOT NULL,
    stage_name      text NOT NULL,
    stage_number    integer NOT NULL,
    execution_group integer NOT NULL,
    status          text NOT NULL,
    attempt         integer NOT NULL,
    started_at      timestamptz,
    completed_at    timestamptz,
    duration        bigint,
    input_data      jsonb,
    output_data     jsonb,
    config          jsonb,
    suspended_state jsonb,
    resume_data     jsonb,
    next_poll_at    timestamptz,
    poll_interval   bigint,
    max_wait_until  timestamptz,
    metrics         jsonb,
    embedding_info  jsonb,
    error_message   text,
    version         bigint NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    CONSTRAINT rs_workflow_stages_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT rs_workflow_stages_run_stage_key UNIQUE (tenant_id, workflow_run_id, stage_id),
    CONSTRAINT rs_workflow_stages_status_check
        CHECK (status IN ('PENDING', 'RUNNING', 'SUSPENDED', 'COMPLETED', 'FAILED', 'CANCELLED', 'SKIPPED')),
    CONSTRAINT rs_workflow_stages_run_fk FOREIGN KEY (tenant_id, workflow_run_id)
        REFERENCES rs_workflow_runs (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX rs_workflow_stages_order_idx
    ON rs_workflow_stages (tenant_id, workflow_run_id, execution_group, stage_number, id);
CREATE INDEX rs_workflow_stages_poll_idx ON rs_workflow_stages (tenant_id, next_poll_at, id)
    WHERE status = 'SUSPENDED';
