-- name: enqueue
-- Insert PENDING jobs (executemany: multi-row INSERTs); a job whose unique_key is already pending or running
-- is skipped (its row counts 0). Every value is a placeholder: aiomysql rewrites an executemany into multi-row
-- INSERTs only then, and sends a statement with any expression in its VALUES once per row (4-5x slower). So the
-- caller reads the database clock first and passes it as :now (and as :run_at when none is given); status
-- ('PENDING') and attempt (0) come from the column defaults that migration 0012 sets.
INSERT INTO rs_jobs (tenant_id, id, queue, workflow_run_id, stage_id, priority, max_attempts, payload, run_at, unique_key, created_at, updated_at)
VALUES (:tenant_id, :id, :queue, :workflow_run_id, :stage_id, :priority, :max_attempts, :payload, :run_at, :unique_key, :now, :now)
ON DUPLICATE KEY UPDATE id = id

-- name: enqueue_unkeyed
-- enqueue for a batch in which no job has a unique_key (nothing to skip).
INSERT INTO rs_jobs (tenant_id, id, queue, workflow_run_id, stage_id, priority, max_attempts, payload, run_at, unique_key, created_at, updated_at)
VALUES (:tenant_id, :id, :queue, :workflow_run_id, :stage_id, :priority, :max_attempts, :payload, :run_at, :unique_key, :now, :now)

-- name: active_ids_by_key
-- Ids of the pending or running jobs holding these unique keys.
SELECT unique_active AS unique_key, id FROM rs_jobs WHERE tenant_id = :tenant_id AND unique_active IN (:keys) AND status IN ('PENDING', 'RUNNING')

-- name: claim_any
-- Claim up to :limit due PENDING jobs (priority DESC, run_at, id) for a worker, step 1: lock them (SKIP LOCKED)
-- and read them as claim_mark, run next in the same transaction, will leave them (RUNNING, this worker and lease,
-- attempt + 1, the statement's time: UTC_TIMESTAMP is read once per statement).
SELECT id, queue, workflow_run_id, stage_id, 'RUNNING' AS status, priority, attempt + 1 AS attempt, max_attempts,
    payload, run_at, next_poll_at, unique_key, :worker_id AS worker_id, :lease AS lease, UTC_TIMESTAMP(6) AS locked_at,
    UTC_TIMESTAMP(6) AS started_at, completed_at, last_error, created_at, UTC_TIMESTAMP(6) AS updated_at FROM rs_jobs FORCE INDEX (rs_jobs_claim_idx)
WHERE tenant_id = :tenant_id AND status = 'PENDING' AND run_at <= UTC_TIMESTAMP(6) AND attempt < max_attempts
ORDER BY priority DESC, run_at, id LIMIT :limit
FOR UPDATE SKIP LOCKED

-- name: claim_one_any
-- claim_any for exactly one job.
SELECT id, queue, workflow_run_id, stage_id, 'RUNNING' AS status, priority, attempt + 1 AS attempt, max_attempts,
    payload, run_at, next_poll_at, unique_key, :worker_id AS worker_id, :lease AS lease, UTC_TIMESTAMP(6) AS locked_at,
    UTC_TIMESTAMP(6) AS started_at, completed_at, last_error, created_at, UTC_TIMESTAMP(6) AS updated_at FROM rs_jobs FORCE INDEX (rs_jobs_claim_idx)
WHERE tenant_id = :tenant_id AND status = 'PENDING' AND run_at <= UTC_TIMESTAMP(6) AND attempt < max_attempts
ORDER BY priority DESC, run_at, id LIMIT 1
FOR UPDATE SKIP LOCKED

-- name: claim_queue
-- Claim up to :limit due PENDING jobs of one queue (priority DESC, run_at, id) for a worker, step 1: lock them (SKIP LOCKED)
-- and read them with the database time; claim_mark then marks them in the same transaction.
SELECT id, queue, workflow_run_id, stage_id, 'RUNNING' AS status, priority, attempt + 1 AS attempt, max_attempts,
    payload, run_at, next_poll_at, unique_key, :worker_id AS worker_id, :lease AS lease, UTC_TIMESTAMP(6) AS locked_at,
    UTC_TIMESTAMP(6) AS started_at, completed_at, last_error, created_at, UTC_TIMESTAMP(6) AS updated_at FROM rs_jobs FORCE INDEX (rs_jobs_queue_claim_idx)
WHERE tenant_id = :tenant_id AND status = 'PENDING' AND queue = :queue AND run_at <= UTC_TIMESTAMP(6) AND attempt < max_attempts
ORDER BY priority DESC, run_at, id LIMIT :limit
FOR UPDATE SKIP LOCKED

-- name: claim_one_queue
-- claim_queue for exactly one job.
SELECT id, queue, workflow_run_id, stage_id, 'RUNNING' AS status, priority, attempt + 1 AS attempt, max_attempts,
    payload, run_at, next_poll_at, unique_key, :worker_id AS worker_id, :lease AS lease, UTC_TIMESTAMP(6) AS locked_at,
    UTC_TIMESTAMP(6) AS started_at, completed_at, last_error, created_at, UTC_TIMESTAMP(6) AS updated_at FROM rs_jobs FORCE INDEX (rs_jobs_queue_claim_idx)
WHERE tenant_id = :tenant_id AND status = 'PENDING' AND queue = :queue AND run_at <= UTC_TIMESTAMP(6) AND attempt < max_attempts
ORDER BY priority DESC, run_at, id LIMIT 1
FOR UPDATE SKIP LOCKED

-- name: claim_mark
-- Step 2 of a MariaDB claim: mark the locked jobs RUNNING (MariaDB has no UPDATE ... RETURNING).
UPDATE rs_jobs SET status = 'RUNNING', worker_id = :worker_id, lease = :lease, locked_at = :now, started_at = :now,
    attempt = attempt + 1, updated_at = :now
WHERE tenant_id = :tenant_id AND id IN (:ids)

-- name: complete
-- Mark a running job COMPLETED, only while the caller still holds its lease.
UPDATE rs_jobs SET status = 'COMPLETED', completed_at = UTC_TIMESTAMP(6), locked_at = NULL, updated_at = UTC_TIMESTAMP(6)
WHERE tenant_id = :tenant_id AND id = :id AND status = 'RUNNING' AND lease = :lease

-- name: complete_many
-- Complete a batch of running jobs that one claim returned (so one lease): fenced like complete, row by row.
UPDATE rs_jobs FORCE INDEX (PRIMARY) SET status = 'COMPLETED', completed_at = UTC_TIMESTAMP(6), locked_at = NULL, updated_at = UTC_TIMESTAMP(6)
WHERE tenant_id = :tenant_id AND id IN (:ids) AND status = 'RUNNING' AND lease = :lease

-- name: complete_pairs
-- Complete running jobs of several claims, each only while its (id, lease) pair still holds.
UPDATE rs_jobs FORCE INDEX (PRIMARY) SET status = 'COMPLETED', completed_at = UTC_TIMESTAMP(6), locked_at = NULL, updated_at = UTC_TIMESTAMP(6)
WHERE tenant_id = :tenant_id AND status = 'RUNNING' AND id IN (:ids) AND lease IN (:leases) AND CONCAT(id, '|', lease) IN (:pairs)

-- name: heartbeat
-- Extend the lease of a running job (its locked_at becomes now).
UPDATE rs_jobs SET locked_at = UTC_TIMESTAMP(6), updated_at = UTC_TIMESTAMP(6) WHERE tenant_id = :tenant_id AND id = :id AND status = 'RUNNING' AND lease = :lease

-- name: fail
-- Fail a running job held with this lease: back to PENDING after a capped exponential backoff with jitter
-- when :retry and attempts remain, else FAILED. Columns are assigned in an order that is safe for MariaDB, which
-- evaluates SET left to right.
UPDATE rs_jobs SET
    run_at = CASE WHEN (:retry AND attempt < max_attempts) THEN UTC_TIMESTAMP(6) + INTERVAL ROUND(LEAST(:cap, :base * POW(2, LEAST(attempt - 1, 30)) * :jitter) * 1000000) MICROSECOND ELSE run_at END,
    completed_at = CASE WHEN (:retry AND attempt < max_attempts) THEN NULL ELSE UTC_TIMESTAMP(6) END,
    status = CASE WHEN (:retry AND attempt < max_attempts) THEN 'PENDING' ELSE 'FAILED' END,
    last_error = :error, lease = NULL, locked_at = NULL, updated_at = UTC_TIMESTAMP(6)
WHERE tenant_id = :tenant_id AND id = :id AND status = 'RUNNING' AND lease = :lease

-- name: suspend
-- Park a running job held with this lease until :next_poll_at. Suspension is not a failed attempt, so the
-- attempt it used is given back.
UPDATE rs_jobs SET status = 'SUSPENDED', next_poll_at = :next_poll_at, attempt = attempt - 1, lease = NULL,
    locked_at = NULL, updated_at = UTC_TIMESTAMP(6)
WHERE tenant_id = :tenant_id AND id = :id AND status = 'RUNNING' AND lease = :lease

-- name: stale_jobs
-- Ids of running jobs whose lease was not renewed for :older_than seconds (a plain read: no locks). Read through
-- the claim index's (tenant_id, status) prefix: the running jobs are the jobs in flight, a short range, and a
-- running-jobs index of its own cost two index writes per job on the hot path (migration 0012 dropped it).
SELECT id FROM rs_jobs FORCE INDEX (rs_jobs_claim_idx) WHERE tenant_id = :tenant_id AND status = 'RUNNING' AND locked_at < UTC_TIMESTAMP(6) - INTERVAL ROUND(:older_than * 1000000) MICROSECOND
LIMIT :limit

-- name: release_stale
-- Applied by id to what stale_jobs found, re-checking the condition: MariaDB would otherwise lock the
-- running-jobs index before the rows, the reverse of a concurrent complete(), and deadlock with it.
-- Running jobs whose lease was not renewed for :older_than seconds: back to PENDING with backoff when
-- attempts remain, else FAILED. Either way the old lease stops working.
UPDATE rs_jobs FORCE INDEX (PRIMARY) SET
    last_error = LEFT(CONCAT(:reason, ' (worker ', COALESCE(worker_id, 'unknown'), ')'), 4000),
    run_at = CASE WHEN attempt < max_attempts THEN UTC_TIMESTAMP(6) + INTERVAL ROUND(LEAST(:cap, :base * POW(2, LEAST(attempt - 1, 30)) * :jitter) * 1000000) MICROSECOND ELSE run_at END,
    completed_at = CASE WHEN attempt < max_attempts THEN NULL ELSE UTC_TIMESTAMP(6) END,
    status = CASE WHEN attempt < max_attempts THEN 'PENDING' ELSE 'FAILED' END,
    worker_id = NULL, lease = NULL, locked_at = NULL, updated_at = UTC_TIMESTAMP(6)
WHERE tenant_id = :tenant_id AND id IN (:ids) AND status = 'RUNNING' AND locked_at < UTC_TIMESTAMP(6) - INTERVAL ROUND(:older_than * 1000000) MICROSECOND

-- name: suspended_ready
-- Suspended jobs whose poll time has come, soonest first, in the order of rs_jobs_suspended_idx (tenant_id,
-- next_poll_at): only suspend sets next_poll_at, so claims and completions never touch that index.
SELECT id AS job_id, stage_id, workflow_run_id FROM rs_jobs FORCE INDEX (rs_jobs_suspended_idx)
WHERE tenant_id = :tenant_id AND status = 'SUSPENDED' AND next_poll_at <= UTC_TIMESTAMP(6)
ORDER BY next_poll_at, id LIMIT :limit

-- name: resume
-- A suspended job back to PENDING, due at once.
UPDATE rs_jobs SET status = 'PENDING', run_at = UTC_TIMESTAMP(6), next_poll_at = NULL, updated_at = UTC_TIMESTAMP(6)
WHERE tenant_id = :tenant_id AND id = :id AND status = 'SUSPENDED'

-- name: cancel
-- Cancel a job that has not finished; a running job's lease stops working.
UPDATE rs_jobs SET status = 'CANCELLED', completed_at = UTC_TIMESTAMP(6), lease = NULL, locked_at = NULL, updated_at = UTC_TIMESTAMP(6)
WHERE tenant_id = :tenant_id AND id = :id AND status IN ('PENDING', 'RUNNING', 'SUSPENDED')

-- name: run_jobs
-- Ids of the unfinished jobs of a workflow run (a plain read: no locks).
SELECT id FROM rs_jobs
WHERE tenant_id = :tenant_id AND workflow_run_id = :workflow_run_id AND status IN ('PENDING', 'RUNNING', 'SUSPENDED')

-- name: cancel_by_run
-- Cancel these unfinished jobs of a workflow run (found first by run_jobs, then updated by id so that MariaDB
-- locks rows in the same order as complete()).
UPDATE rs_jobs FORCE INDEX (PRIMARY) SET status = 'CANCELLED', completed_at = UTC_TIMESTAMP(6), lease = NULL, locked_at = NULL, updated_at = UTC_TIMESTAMP(6)
WHERE tenant_id = :tenant_id AND id IN (:ids) AND workflow_run_id = :workflow_run_id AND status IN ('PENDING', 'RUNNING', 'SUSPENDED')

-- name: get_job
-- One job by id.
SELECT id, queue, workflow_run_id, stage_id, status, priority, attempt, max_attempts, payload, run_at, next_poll_at, unique_key, worker_id, lease, locked_at, started_at, completed_at, last_error, created_at, updated_at FROM rs_jobs WHERE tenant_id = :tenant_id AND id = :id

-- name: counts
-- Jobs per status.
SELECT status, count(*) AS jobs FROM rs_jobs WHERE tenant_id = :tenant_id GROUP BY status

-- name: counts_queue
-- Jobs per status in one queue.
SELECT status, count(*) AS jobs FROM rs_jobs WHERE tenant_id = :tenant_id AND queue = :queue GROUP BY status

-- name: prune
-- Delete up to :limit finished jobs that finished before :before.
DELETE FROM rs_jobs WHERE tenant_id = :tenant_id AND status IN ('COMPLETED', 'FAILED', 'CANCELLED', 'SKIPPED') AND completed_at < :before LIMIT :limit

-- name: db_now
-- The database clock (the tenant is echoed back so that every kit query binds it).
SELECT UTC_TIMESTAMP(6), :tenant_id

-- name: has_due
-- Whether a due PENDING job is waiting (polling wake-up).
SELECT 1 FROM rs_jobs WHERE tenant_id = :tenant_id AND status = 'PENDING' AND run_at <= UTC_TIMESTAMP(6) LIMIT 1
