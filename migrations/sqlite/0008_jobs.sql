-- rawstore job queue. Every object is prefixed rs_; tenant_id leads every key.
-- Timestamps are fixed-width UTC text 'YYYY-MM-DD HH:MM:SS.ffffff', so text order is time order.
-- run_at is when a job becomes due (the enqueue time when none is given); claims order by
-- (priority DESC, run_at, id). The claim indexes are partial on PENDING, so finished jobs never slow a claim.
CREATE TABLE rs_jobs (
    tenant_id       TEXT NOT NULL,
    id              TEXT NOT NULL,
    queue           TEXT NOT NULL,
    workflow_run_id TEXT NOT NULL,
    stage_id        TEXT NOT NULL,
    status          TEXT NOT NULL
        CHECK (status IN ('PENDING', 'RUNNING', 'SUSPENDED', 'COMPLETED', 'FAILED', 'CANCELLED', 'SKIPPED')),
    priority        INTEGER NOT NULL,
    attempt         INTEGER NOT NULL,
    max_attempts    INTEGER NOT NULL,
    payload         TEXT NOT NULL,
    run_at          TEXT NOT NULL,
    next_poll_at    TEXT,
    unique_key      TEXT,
    worker_id       TEXT,
    lease           TEXT,
    locked_at       TEXT,
    started_at      TEXT,
    completed_at    TEXT,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, workflow_run_id) REFERENCES rs_workflow_runs (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX rs_jobs_claim_idx ON rs_jobs (tenant_id, priority DESC, run_at, id) WHERE status = 'PENDING';
CREATE INDEX rs_jobs_queue_claim_idx ON rs_jobs (tenant_id, queue, priority DESC, run_at, id) WHERE status = 'PENDING';
CREATE INDEX rs_jobs_running_idx ON rs_jobs (tenant_id, locked_at) WHERE status = 'RUNNING' AND locked_at IS NOT NULL;
CREATE INDEX rs_jobs_suspended_idx ON rs_jobs (tenant_id, next_poll_at)
    WHERE status = 'SUSPENDED' AND next_poll_at IS NOT NULL;
CREATE UNIQUE INDEX rs_jobs_unique_idx ON rs_jobs (tenant_id, unique_key)
    WHERE unique_key IS NOT NULL AND status IN ('PENDING', 'RUNNING');
CREATE INDEX rs_jobs_run_idx ON rs_jobs (tenant_id, workflow_run_id);
