-- name: enqueue
-- Insert PENDING jobs (executemany); a job whose unique_key is already pending or running is skipped.
-- :now is NULL here (the statement reads the clock itself).
INSERT INTO rs_jobs (tenant_id, id, queue, workflow_run_id, stage_id, status, priority, attempt, max_attempts, payload, run_at, unique_key, created_at, updated_at)
VALUES (:tenant_id, :id, :queue, :workflow_run_id, :stage_id, 'PENDING', :priority, 0, :max_attempts, :payload,
        coalesce(:run_at, :now, (strftime('%Y-%m-%d %H:%M:%f', 'now') || '000')), :unique_key, coalesce(:now, (strftime('%Y-%m-%d %H:%M:%f', 'now') || '000')), coalesce(:now, (strftime('%Y-%m-%d %H:%M:%f', 'now') || '000')))
ON CONFLICT DO NOTHING

-- name: enqueue_unkeyed
-- enqueue for a batch in which no job has a unique_key (nothing to skip).
INSERT INTO rs_jobs (tenant_id, id, queue, workflow_run_id, stage_id, status, priority, attempt, max_attempts, payload, run_at, unique_key, created_at, updated_at)
VALUES (:tenant_id, :id, :queue, :workflow_run_id, :stage_id, 'PENDING', :priority, 0, :max_attempts, :payload,
        coalesce(:run_at, :now, (strftime('%Y-%m-%d %H:%M:%f', 'now') || '000')), :unique_key, coalesce(:now, (strftime('%Y-%m-%d %H:%M:%f', 'now') || '000')), coalesce(:now, (strftime('%Y-%m-%d %H:%M:%f', 'now') || '000')))

-- name: active_ids_by_key
-- Ids of the pending or running jobs holding these unique keys.
SELECT unique_key, id FROM rs_jobs WHERE tenant_id = :tenant_id AND unique_key IN (:keys) AND status IN ('PENDING', 'RUNNING')

-- name: claim_any
-- Claim up to :limit due PENDING jobs (priority DESC, run_at, id) for a worker inside a write transaction
-- (BEGIN IMMEDIATE serializes claimers): RUNNING, a new lease, attempt + 1.
UPDATE rs_jobs SET status = 'RUNNING', worker_id = :worker_id, lease = :lease, locked_at = (strftime('%Y-%m-%d %H:%M:%f', 'now') || '000'),
    started_at = (strftime('%Y-%m-%d %H:%M:%f', 'now') || '000'), attempt = attempt + 1, updated_at = (strftime('%Y-%m-%d %H:%M:%f', 'now') || '000')
WHERE tenant_id = :tenant_id AND id IN (
    SELECT id FROM rs_jobs WHERE tenant_id = :tenant_id AND status = 'PENDING' AND run_at <= (strftime('%Y-%m-%d %H:%M:%f', 'now') || '000') AND attempt < max_attempts
    ORDER BY priority DESC, run_at, id LIMIT :limit)
RETURNING id, queue, workflow_run_id, stage_id, status, priority, attempt, max_attempts, payload, run_at, next_poll_at, unique_key, worker_id, lease, locked_at, started_at, completed_at, last_error, created_at, updated_at

-- name: claim_one_any
-- claim_any for exactly one job.
UPDATE rs_jobs SET status = 'RUNNING', worker_id = :worker_id, lease = :lease, locked_at = (strftime('%Y-%m-%d %H:%M:%f', 'now') || '000'),
    started_at = (strftime('%Y-%m-%d %H:%M:%f', 'now') || '000'), attempt = attempt + 1, updated_at = (strftime('%Y-%m-%d %H:%M:%f', 'now') || '000')
WHERE tenant_id = :tenant_id AND id IN (
    SELECT id FROM rs_jobs WHERE tenant_id = :tenant_id AND status = 'PENDING' AND run_at <= (strftime('%Y-%m-%d %H:%M:%f', 'now') || '000') AND attempt < max_attempts
    ORDER BY priority DESC, run_at, id LIMIT 1)
RETURNING id, queue, workflow_run_id, stage_id, status, priority, attempt, max_attempts, payload, run_at, next_poll_at, unique_key, worker_id, lease, locked_at, started_at, completed_at, last_error, created_at, updated_at

-- name: claim_queue
-- Claim up to :limit due PENDING jobs of one queue (priority DESC, run_at, id) for a worker inside a write transaction
-- (BEGIN IMMEDIATE serializes claimers): RUNNING, a new lease, attempt + 1.
UPDATE rs_jobs SET status = 'RUNNING', worker_id = :worker_id, lease = :lease, locked_at = (strftime('%Y-%m-%d %H:%M:%f', 'now') || '000'),
    started_at = (strftime('%Y-%m-%d %H:%M:%f', 'now') || '000'), attempt = attempt + 1, updated_at = (strftime('%Y-%m-%d %H:%M:%f', 'now') || '000')
WHERE tenant_id = :tenant_id AND id IN (
    SELECT id FROM rs_jobs WHERE tenant_id = :tenant_id AND status = 'PENDING' AND queue = :queue AND run_at <= (strftime('%Y-%m-%d %H:%M:%f', 'now') || '000') AND attempt < max_attempts
    ORDER BY priority DESC, run_at, id LIMIT :limit)
RETURNING id, queue, workflow_run_id, stage_id, status, priority, attempt, max_attempts, payload, run_at, next_poll_at, unique_key, worker_id, lease, locked_at, started_at, completed_at, last_error, created_at, updated_at

-- name: claim_one_queue
-- claim_queue for exactly one job.
UPDATE rs_jobs SET status = 'RUNNING', worker_id = :worker_id, lease = :lease, locked_at = (strftime('%Y-%m-%d %H:%M:%f', 'now') || '000'),
    started_at = (strftime('%Y-%m-%d %H:%M:%f', 'now') || '000'), attempt = attempt + 1, updated_at = (strftime('%Y-%m-%d %H:%M:%f', 'now') || '000')
WHERE tenant_id = :tenant_id AND id IN (
    SELECT id FROM rs_jobs WHERE tenant_id = :tenant_id AND status = 'PENDING' AND queue = :queue AND run_at <= (strftime('%Y-%m-%d %H:%M:%f', 'now') || '000') AND attempt < max_attempts
    ORDER BY priority DESC, run_at, id LIMIT 1)
RETURNING id, queue, workflow_run_id, stage_id, status, priority, attempt, max_attempts, payload, run_at, next_poll_at, unique_key, worker_id, lease, locked_at, started_at, completed_at, last_error, created_at, updated_at

-- name: claim_mark
-- Only MariaDB claims in two steps; here the claim above already marked the jobs, so this changes nothing.
UPDATE rs_jobs SET worker_id = :worker_id, lease = :lease, locked_at = :now
WHERE tenant_id = :tenant_id AND id IN (:ids) AND 1 = 0

-- name: complete
-- Mark a running job COMPLETED, only while the caller still holds its lease.
UPDATE rs_jobs SET status = 'COMPLETED', completed_at = (strftime('%Y-%m-%d %H:%M:%f', 'now') || '000'), locked_at = NULL, updated_at = (strftime('%Y-%m-%d %H:%M:%f', 'now') || '000')
WHERE tenant_id = :tenant_id AND id = :id AND status = 'RUNNING' AND lease = :lease

-- name: complete_many
-- Complete a batch of running jobs that one claim returned (so one lease): fenced like complete, row by row.
UPDATE rs_jobs SET status = 'COMPLETED', completed_at = (strftime('%Y-%m-%d %H:%M:%f', 'now') || '000'), locked_at = NULL, updated_at = (strftime('%Y-%m-%d %H:%M:%f', 'now') || '000')
WHERE tenant_id = :tenant_id AND id IN (:ids) AND status = 'RUNNING' AND lease = :lease

-- name: complete_pairs
-- Complete running jobs of several claims, each only while its (id, lease) pair still holds.
UPDATE rs_jobs SET status = 'COMPLETED', completed_at = (strftime('%Y-%m-%d %H:%M:%f', 'now') || '000'), locked_at = NULL, updated_at = (strftime('%Y-%m-%d %H:%M:%f', 'now') || '000')
WHERE tenant_id = :tenant_id AND status = 'RUNNING' AND id IN (:ids) AND lease IN (:leases) AND (id || '|' || lease) IN (:pairs)

-- name: heartbeat
-- Extend the lease of a running job (its locked_at becomes now).
UPDATE rs_jobs SET locked_at = (strftime('%Y-%m-%d %H:%M:%f', 'now') || '000'), updated_at = (strftime('%Y-%m-%d %H:%M:%f', 'now') || '000') WHERE tenant_id = :tenant_id AND id = :id AND status = 'RUNNING' AND lease = :lease

-- name: fail
-- Fail a running job held with this lease: back to PENDING after a capped exponential backoff with jitter
-- when :retry and attempts remain, else FAILED. Columns are assigned in an order that is safe for MariaDB, which
-- evaluates SET left to right.
UPDATE rs_jobs SET
    run_at = CASE WHEN (:retry AND attempt < max_attempts) THEN strftime('%Y-%m-%d %H:%M:%f', 'now', printf('%+.3f seconds', min(:cap, :base * (1 << min(attempt - 1, 30)) * :jitter))) || '000' ELSE run_at END,
    completed_at = CASE WHEN (:retry AND attempt < max_attempts) THEN NULL ELSE (strftime('%Y-%m-%d %H:%M:%f', 'now') || '000') END,
    status = CASE WHEN (:retry AND attempt < max_attempts) THEN 'PENDING' ELSE 'FAILED' END,
    last_error = :error, lease = NULL, locked_at = NULL, updated_at = (strftime('%Y-%m-%d %H:%M:%f', 'now') || '000')
WHERE tenant_id = :tenant_id AND id = :id AND status = 'RUNNING' AND lease = :lease

-- name: suspend
-- Park a running job held with this lease until :next_poll_at. Suspension is not a failed attempt, so the
-- attempt it used is given back.
UPDATE rs_jobs SET status = 'SUSPENDED', next_poll_at = :next_poll_at, attempt = attempt - 1, lease = NULL,
    locked_at = NULL, updated_at = (strftime('%Y-%m-%d %H:%M:%f', 'now') || '000')
WHERE tenant_id = :tenant_id AND id = :id AND status = 'RUNNING' AND lease = :lease

-- name: stale_jobs
-- Ids of running jobs whose lease was not renewed for :older_than seconds (a plain read: no locks).
SELECT id FROM rs_jobs WHERE tenant_id = :tenant_id AND status = 'RUNNING' AND locked_at < strftime('%Y-%m-%d %H:%M:%f', 'now', printf('%+.3f seconds', -:older_than)) || '000'
LIMIT :limit

-- name: release_stale
-- Applied by id to what stale_jobs found, re-checking the condition: MariaDB would otherwise lock the
-- running-jobs index before the rows, the reverse of a concurrent complete(), and deadlock with it.
-- Running jobs whose lease was not renewed for :older_than seconds: back to PENDING with backoff when
-- attempts remain, else FAILED. Either way the old lease stops working.
UPDATE rs_jobs SET
    last_error = substr(:reason || ' (worker ' || coalesce(worker_id, 'unknown') || ')', 1, 4000),
    run_at = CASE WHEN attempt < max_attempts THEN strftime('%Y-%m-%d %H:%M:%f', 'now', printf('%+.3f seconds', min(:cap, :base * (1 << min(attempt - 1, 30)) * :jitter))) || '000' ELSE run_at END,
    completed_at = CASE WHEN attempt < max_attempts THEN NULL ELSE (strftime('%Y-%m-%d %H:%M:%f', 'now') || '000') END,
    status = CASE WHEN attempt < max_attempts THEN 'PENDING' ELSE 'FAILED' END,
    worker_id = NULL, lease = NULL, locked_at = NULL, updated_at = (strftime('%Y-%m-%d %H:%M:%f', 'now') || '000')
WHERE tenant_id = :tenant_id AND id IN (:ids) AND status = 'RUNNING' AND locked_at < strftime('%Y-%m-%d %H:%M:%f', 'now', printf('%+.3f seconds', -:older_than)) || '000'

-- name: suspended_ready
-- Suspended jobs whose poll time has come, soonest first.
SELECT id AS job_id, stage_id, workflow_run_id FROM rs_jobs
WHERE tenant_id = :tenant_id AND status = 'SUSPENDED' AND next_poll_at <= (strftime('%Y-%m-%d %H:%M:%f', 'now') || '000')
ORDER BY next_poll_at, id LIMIT :limit

-- name: resume
-- A suspended job back to PENDING, due at once.
UPDATE rs_jobs SET status = 'PENDING', run_at = (strftime('%Y-%m-%d %H:%M:%f', 'now') || '000'), next_poll_at = NULL, updated_at = (strftime('%Y-%m-%d %H:%M:%f', 'now') || '000')
WHERE tenant_id = :tenant_id AND id = :id AND status = 'SUSPENDED'

-- name: cancel
-- Cancel a job that has not finished; a running job's lease stops working.
UPDATE rs_jobs SET status = 'CANCELLED', completed_at = (strftime('%Y-%m-%d %H:%M:%f', 'now') || '000'), lease = NULL, locked_at = NULL, updated_at = (strftime('%Y-%m-%d %H:%M:%f', 'now') || '000')
WHERE tenant_id = :tenant_id AND id = :id AND status IN ('PENDING', 'RUNNING', 'SUSPENDED')

-- name: run_jobs
-- Ids of the unfinished jobs of a workflow run (a plain read: no locks).
SELECT id FROM rs_jobs
WHERE tenant_id = :tenant_id AND workflow_run_id = :workflow_run_id AND status IN ('PENDING', 'RUNNING', 'SUSPENDED')

-- name: cancel_by_run
-- Cancel these unfinished jobs of a workflow run (found first by run_jobs, then updated by id so that MariaDB
-- locks rows in the same order as complete()).
UPDATE rs_jobs SET status = 'CANCELLED', completed_at = (strftime('%Y-%m-%d %H:%M:%f', 'now') || '000'), lease = NULL, locked_at = NULL, updated_at = (strftime('%Y-%m-%d %H:%M:%f', 'now') || '000')
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
DELETE FROM rs_jobs WHERE tenant_id = :tenant_id AND id IN (
    SELECT id FROM rs_jobs WHERE tenant_id = :tenant_id AND status IN ('COMPLETED', 'FAILED', 'CANCELLED', 'SKIPPED') AND completed_at < :before LIMIT :limit)

-- name: db_now
-- The database clock (the tenant is echoed back so that every kit query binds it).
SELECT strftime('%Y-%m-%d %H:%M:%f', 'now') || '000', :tenant_id

-- name: has_due
-- Whether a due PENDING job is waiting (polling wake-up).
SELECT 1 FROM rs_jobs WHERE tenant_id = :tenant_id AND status = 'PENDING' AND run_at <= (strftime('%Y-%m-%d %H:%M:%f', 'now') || '000') LIMIT 1
