-- rawstore job queue. Every object is prefixed rs_; tenant_id leads every key.
-- run_at is when a job becomes due (the enqueue time when none is given); claims order by
-- (priority DESC, run_at, id). MariaDB has no partial indexes, so status leads the claim indexes instead, and
-- unique_key dedupe runs through a generated column that is NULL once the job has left PENDING/RUNNING.
CREATE TABLE rs_jobs (
    tenant_id       VARCHAR(64)  NOT NULL,
    id              VARCHAR(255) NOT NULL,
    queue           VARCHAR(255) NOT NULL,
    workflow_run_id VARCHAR(255) NOT NULL,
    stage_id        VARCHAR(255) NOT NULL,
    status          VARCHAR(16)  NOT NULL,
    priority        INT NOT NULL,
    attempt         INT NOT NULL,
    max_attempts    INT NOT NULL,
    payload         JSON NOT NULL,
    run_at          DATETIME(6) NOT NULL,
    next_poll_at    DATETIME(6) NULL,
    unique_key      VARCHAR(255) NULL,
    worker_id       VARCHAR(255) NULL,
    lease           VARCHAR(64)  NULL,
    locked_at       DATETIME(6) NULL,
    started_at      DATETIME(6) NULL,
    completed_at    DATETIME(6) NULL,
    last_error      MEDIUMTEXT NULL,
    created_at      DATETIME(6) NOT NULL,
    updated_at      DATETIME(6) NOT NULL,
    unique_active   VARCHAR(255) AS (CASE WHEN status IN ('PENDING', 'RUNNING') THEN unique_key END) PERSISTENT,
    PRIMARY KEY (tenant_id, id),
    KEY rs_jobs_claim_idx (tenant_id, status, priority DESC, run_at, id),
    KEY rs_jobs_queue_claim_idx (tenant_id, status, queue, priority DESC, run_at, id),
    KEY rs_jobs_running_idx (tenant_id, status, locked_at),
    KEY rs_jobs_suspended_idx (tenant_id, status, next_poll_at),
    UNIQUE KEY rs_jobs_unique_idx (tenant_id, unique_active),
    KEY rs_jobs_run_idx (tenant_id, workflow_run_id),
    CONSTRAINT rs_jobs_status_check
        CHECK (status IN ('PENDING', 'RUNNING', 'SUSPENDED', 'COMPLETED', 'FAILED', 'CANCELLED', 'SKIPPED')),
    CONSTRAINT rs_jobs_run_fk FOREIGN KEY (tenant_id, workflow_run_id)
        REFERENCES rs_workflow_runs (tenant_id, id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
