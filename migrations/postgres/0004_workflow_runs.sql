-- rawstore workflow domain. Every object is prefixed rs_; tenant_id leads every key.
-- This migration: rs_workflow_runs. Claims take the oldest run of the highest priority among PENDING ones, from a
-- partial index that finished runs never enter; listings by status come oldest first.
CREATE TABLE rs_workflow_runs (
    tenant_id     text COLLATE "C" NOT NULL,
    id            text COLLATE "C" NOT NULL,
    workflow_id   text COLLATE "C" NOT NULL,
    workflow_name text NOT NULL,
    workflow_type text COLLATE "C" NOT NULL,
    status        text NOT NULL,
    priority      integer NOT NULL,
    started_at    timestamptz,
    completed_at  timestamptz,
    duration      bigint,
    input         jsonb NOT NULL,
    output        jsonb,
    config        jsonb NOT NULL,
    total_cost    double precision NOT NULL,
    total_tokens  bigint NOT NULL,
    metadata      jsonb,
    version       bigint NOT NULL,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    CONSTRAINT rs_workflow_runs_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT rs_workflow_runs_status_check
        CHECK (status IN ('PENDING', 'RUNNING', 'SUSPENDED', 'COMPLETED', 'FAILED', 'CANCELLED', 'SKIPPED'))
);
CREATE INDEX rs_workflow_runs_status_idx ON rs_workflow_runs (tenant_id, status, created_at, id);
CREATE INDEX rs_workflow_runs_claim_idx ON rs_workflow_runs (tenant_id, priority DESC, created_at, id)
    WHERE status = 'PENDING';
