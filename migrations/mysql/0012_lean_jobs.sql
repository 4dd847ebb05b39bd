-- rawstore: the job queue's indexes on MariaDB earn their cost. MariaDB has no partial indexes, so every index that
-- leads with status is rewritten on every status change: each claim and each completion rewrote rs_jobs_running_idx
-- and rs_jobs_suspended_idx as well as the two claim indexes (four index writes where a plain queue table has one).
-- - rs_jobs_running_idx (tenant_id, status, locked_at) goes: release_stale_jobs reads the running jobs through the
--   claim index's (tenant_id, status) prefix instead. Running jobs are the jobs in flight, so that range is short.
-- - rs_jobs_suspended_idx becomes (tenant_id, next_poll_at): only suspend sets next_poll_at (resume clears it), so
--   claims and completions leave this index alone; the poll query still reads it in next_poll_at order.
-- - status and attempt get the defaults of a new job ('PENDING', 0), so enqueue's VALUES row can be placeholders only,
--   the form aiomysql sends as multi-row INSERTs.
-- One ALTER TABLE, atomic in InnoDB: it happens entirely or not at all.
ALTER TABLE rs_jobs
    DROP INDEX rs_jobs_running_idx,
    DROP INDEX rs_jobs_suspended_idx,
    ADD KEY rs_jobs_suspended_idx (tenant_id, next_poll_at),
    ALTER COLUMN status SET DEFAULT 'PENDING',
    ALTER COLUMN attempt SET DEFAULT 0;
