-- Back to the job indexes of 0008 and no column defaults (one ALTER TABLE, atomic in InnoDB).
ALTER TABLE rs_jobs
    DROP INDEX rs_jobs_suspended_idx,
    ADD KEY rs_jobs_running_idx (tenant_id, status, locked_at),
    ADD KEY rs_jobs_suspended_idx (tenant_id, status, next_poll_at),
    ALTER COLUMN status DROP DEFAULT,
    ALTER COLUMN attempt DROP DEFAULT;
