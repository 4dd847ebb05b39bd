-- rawstore job queue. Every object is prefixed rs_; tenant_id leads every key.
-- run_at is when a job becomes due (the enqueue time when none is given); claims order by
-- (priority DESC, run_at, id). The claim indexes are partial on PENDING, so finished jobs never slow a claim.
CREATE TABLE rs_jobs (
    tenant_id       text COLLATE "C" NOT NULL,
    id              text COLLATE "C" NOT NULL,
    queue           text COLLATE "C" NOT NULL,
    workflow_run_id text COLLATE "C" NOT NULL,
    stage_id        text COLLATE "C" NOT NULL,
    status          text NOT NULL,
    priority        integer NOT NULL,
    attempt         integer NOT NULL,
    max_attempts    integer NOT NULL,
    payload         jsonb NOT NULL,
    run_at          timestamptz NOT NULL,
    next_poll_at    timestamptz,
    unique_key      text COLLATE "C",
    worker_id       text,
    lease           text COLLATE "C",
    locked_at       timestamptz,
    started_at      timestamptz,
    completed_at    timestamptz,
    last_error      text,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    CONSTRAINT rs_jobs_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT rs_jobs_status_check
        CHECK (status IN ('PENDING', 'RUNNING', 'SUSPENDED', 'COMPLETED', 'FAILED', 'CANCELLED', 'SKIPPED')),
    CONSTRAINT rs_jobs_run_fk FOREIGN KEY (tenant_id, workflow_run_id)
        REFERENCES rs_workflow_runs (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX rs_jobs_claim_idx ON rs_jobs (tenant_id, priority DESC, run_at, id) WHERE status = 'PENDING';
CREATE INDEX rs_jobs_queue_claim_idx ON rs_jobs (tenant_id, queue, priority DESC, run_at, id) WHERE status = 'PENDING';
-- The running and suspended indexes name a column that the single-job statements (complete, heartbeat, resume,
-- ...) do not test, so a generic plan cannot pick them over the primary key for those.
CREATE INDEX rs_jobs_running_idx ON rs_jobs (tenant_id, locked_at) WHERE status = 'RUNNING' AND locked_at IS NOT NULL;
CREATE INDEX rs_jobs_suspended_idx ON rs_jobs (tenant_id, next_poll_at)
    WHERE status = 'SUSPENDED' AND next_poll_at IS NOT NULL;
CREATE UNIQUE INDEX rs_jobs_unique_idx ON rs_jobs (tenant_id, unique_key)
    WHERE unique_key IS NOT NULL AND status IN ('PENDING', 'RUNNING');
CREATE INDEX rs_jobs_run_idx ON rs_jobs (tenant_id, workflow_run_id);
-- Claims delete index entries from the partial indexes at a high rate: vacuum this table sooner than the default.
ALTER TABLE rs_jobs SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);
