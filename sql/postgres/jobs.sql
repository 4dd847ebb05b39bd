-- name: enqueue[]
-- Insert a batch of PENDING jobs from column arrays; a job whose unique_key is already pending or running
-- is skipped. :now is NULL here (the statement reads the clock itself). Wakes LISTENers on channel rs_jobs
-- (payload: the tenant). Counts the rows inserted.
WITH ins AS (
    INSERT INTO {schema}rs_jobs (tenant_id, id, queue, workflow_run_id, stage_id, status, priority, attempt, max_attempts, payload, run_at, unique_key, created_at, updated_at)
    SELECT t, i, q, r, s, 'PENDING', p, 0, m, pl::jsonb, coalesce(ra, n, now()), u, coalesce(n, now()), coalesce(n, now())
    FROM unnest(:tenant_id::text[], :id::text[], :queue::text[], :workflow_run_id::text[], :stage_id::text[],
                :priority::int[], :max_attempts::int[], :payload::text[], :run_at::timestamptz[], :unique_key::text[],
                :now::timestamptz[])
         AS x(t, i, q, r, s, p, m, pl, ra, u, n)
    ON CONFLICT DO NOTHING
    RETURNING tenant_id
)
SELECT pg_notify('rs_jobs', tenant_id) FROM ins

-- name: enqueue_unkeyed[]
-- enqueue for a batch in which no job has a unique_key: without ON CONFLICT, whose speculative insertion
-- costs about an eighth of the insert (the primary key is a fresh UUIDv7; a clash would raise, not be skipped).
WITH ins AS (
    INSERT INTO {schema}rs_jobs (tenant_id, id, queue, workflow_run_id, stage_id, status, priority, attempt, max_attempts, payload, run_at, unique_key, created_at, updated_at)
    SELECT t, i, q, r, s, 'PENDING', p, 0, m, pl::jsonb, coalesce(ra, n, now()), u, coalesce(n, now()), coalesce(n, now())
    FROM unnest(:tenant_id::text[], :id::text[], :queue::text[], :workflow_run_id::text[], :stage_id::text[],
                :priority::int[], :max_attempts::int[], :payload::text[], :run_at::timestamptz[], :unique_key::text[],
                :now::timestamptz[])
         AS x(t, i, q, r, s, p, m, pl, ra, u, n)
    RETURNING tenant_id
)
SELECT pg_notify('rs_jobs', tenant_id) FROM ins

-- name: active_ids_by_key
-- Ids of the pending or running jobs holding these unique keys.
SELECT unique_key, id FROM {schema}rs_jobs WHERE tenant_id = :tenant_id AND unique_key = ANY(:keys) AND status IN ('PENDING', 'RUNNING')

-- name: claim_any
-- Claim up to :limit due PENDING jobs (priority DESC, run_at, id) for a worker: RUNNING, a new lease,
-- attempt + 1. SKIP LOCKED: concurrent claimers take different jobs and never wait on each other.
WITH c AS (
    SELECT id FROM {schema}rs_jobs WHERE tenant_id = :tenant_id AND status = 'PENDING' AND run_at <= now() AND attempt < max_attempts
    ORDER BY priority DESC, run_at, id LIMIT :limit
    FOR UPDATE SKIP LOCKED
)
UPDATE {schema}rs_jobs AS j SET status = 'RUNNING', worker_id = :worker_id, lease = :lease, locked_at = now(),
    started_at = now(), attempt = j.attempt + 1, updated_at = now()
FROM c WHERE j.tenant_id = :tenant_id AND j.id = c.id
RETURNING j.id, j.queue, j.workflow_run_id, j.stage_id, j.status, j.priority, j.attempt, j.max_attempts, j.payload::text, j.run_at, j.next_poll_at, j.unique_key, j.worker_id, j.lease, j.locked_at, j.started_at, j.completed_at, j.last_error, j.created_at, j.updated_at

-- name: claim_one_any
-- Claim the next due PENDING job: `id = (SELECT … LIMIT 1 FOR UPDATE SKIP LOCKED)` runs the
-- pick once as an InitPlan and is markedly faster than the CTE form for a single job.
UPDATE {schema}rs_jobs SET status = 'RUNNING', worker_id = :worker_id, lease = :lease, locked_at = now(),
    started_at = now(), attempt = attempt + 1, updated_at = now()
WHERE tenant_id = :tenant_id AND id = (
    SELECT id FROM {schema}rs_jobs WHERE tenant_id = :tenant_id AND status = 'PENDING' AND run_at <= now() AND attempt < max_attempts
    ORDER BY priority DESC, run_at, id LIMIT 1
    FOR UPDATE SKIP LOCKED)
RETURNING id, queue, workflow_run_id, stage_id, status, priority, attempt, max_attempts, payload::text, run_at, next_poll_at, unique_key, worker_id, lease, locked_at, started_at, completed_at, last_error, created_at, updated_at

-- name: claim_queue
-- Claim up to :limit due PENDING jobs of one queue (priority DESC, run_at, id) for a worker: RUNNING, a new lease,
-- attempt + 1. SKIP LOCKED: concurrent claimers take different jobs and never wait on each other.
WITH c AS (
    SELECT id FROM {schema}rs_jobs WHERE tenant_id = :tenant_id AND status = 'PENDING' AND queue = :queue AND run_at <= now() AND attempt < max_attempts
    ORDER BY priority DESC, run_at, id LIMIT :limit
    FOR UPDATE SKIP LOCKED
)
UPDATE {schema}rs_jobs AS j SET status = 'RUNNING', worker_id = :worker_id, lease = :lease, locked_at = now(),
    started_at = now(), attempt = j.attempt + 1, updated_at = now()
FROM c WHERE j.tenant_id = :tenant_id AND j.id = c.id
RETURNING j.id, j.queue, j.workflow_run_id, j.stage_id, j.status, j.priority, j.attempt, j.max_attempts, j.payload::text, j.run_at, j.next_poll_at, j.unique_key, j.worker_id, j.lease, j.locked_at, j.started_at, j.completed_at, j.last_error, j.created_at, j.updated_at

-- name: claim_one_queue
-- Claim the next due PENDING job of one queue: `id = (SELECT … LIMIT 1 FOR UPDATE SKIP LOCKED)` runs the
-- pick once as an InitPlan and is markedly faster than the CTE form for a single job.
UPDATE {schema}rs_jobs SET status = 'RUNNING', worker_id = :worker_id, lease = :lease, locked_at = now(),
    started_at = now(), attempt = attempt + 1, updated_at = now()
WHERE tenant_id = :tenant_id AND id = (
    SELECT id FROM {schema}rs_jobs WHERE tenant_id = :tenant_id AND status = 'PENDING' AND queue = :queue AND run_at <= now() AND attempt < max_attempts
    ORDER BY priority DESC, run_at, id LIMIT 1
    FOR UPDATE SKIP LOCKED)
RETURNING id, queue, workflow_run_id, stage_id, status, priority, attempt, max_attempts, payload::text, run_at, next_poll_at, unique_key, worker_id, lease, locked_at, started_at, completed_at, last_error, created_at, updated_at

-- name: claim_mark
-- Only MariaDB claims in two steps; here the claim above already marked the jobs, so this changes nothing.
UPDATE {schema}rs_jobs SET worker_id = :worker_id, lease = :lease, locked_at = :now
WHERE tenant_id = :tenant_id AND id = ANY(:ids) AND 1 = 0

-- name: complete
-- Mark a running job COMPLETED, only while the caller still holds its lease.
UPDATE {schema}rs_jobs SET status = 'COMPLETED', completed_at = now(), locked_at = NULL, updated_at = now()
WHERE tenant_id = :tenant_id AND id = :id AND status = 'RUNNING' AND lease = :lease

-- name: complete_many
-- Complete a batch of running jobs that one claim returned (so one lease): fenced like complete, row by row.
UPDATE {schema}rs_jobs SET status = 'COMPLETED', completed_at = now(), locked_at = NULL, updated_at = now()
WHERE tenant_id = :tenant_id AND id = ANY(:ids) AND status = 'RUNNING' AND lease = :lease

-- name: complete_pairs
-- Complete running jobs of several claims, each only while its (id, lease) pair still holds.
UPDATE {schema}rs_jobs SET status = 'COMPLETED', completed_at = now(), locked_at = NULL, updated_at = now()
WHERE tenant_id = :tenant_id AND status = 'RUNNING' AND id = ANY(:ids) AND lease = ANY(:leases) AND (id || '|' || lease) = ANY(:pairs)

-- name: heartbeat
-- Extend the lease of a running job (its locked_at becomes now).
UPDATE {schema}rs_jobs SET locked_at = now(), updated_at = now() WHERE tenant_id = :tenant_id AND id = :id AND status = 'RUNNING' AND lease = :lease

-- name: fail
-- Fail a running job held with this lease: back to PENDING after a capped exponential backoff with jitter
-- when :retry and attempts remain, else FAILED. Columns are assigned in an order that is safe for MariaDB, which
-- evaluates SET left to right.
UPDATE {schema}rs_jobs SET
    run_at = CASE WHEN (:retry::boolean AND attempt < max_attempts) THEN now() + make_interval(secs => LEAST(:cap::float8, :base::float8 * power(2, LEAST(attempt - 1, 30)) * :jitter::float8)) ELSE run_at END,
    completed_at = CASE WHEN (:retry::boolean AND attempt < max_attempts) THEN NULL ELSE now() END,
    status = CASE WHEN (:retry::boolean AND attempt < max_attempts) THEN 'PENDING' ELSE 'FAILED' END,
    last_error = :error, lease = NULL, locked_at = NULL, updated_at = now()
WHERE tenant_id = :tenant_id AND id = :id AND status = 'RUNNING' AND lease = :lease

-- name: suspend
-- Park a running job held with this lease until :next_poll_at. Suspension is not a failed attempt, so the
-- attempt it used is given back.
UPDATE {schema}rs_jobs SET status = 'SUSPENDED', next_poll_at = :next_poll_at, attempt = attempt - 1, lease = NULL,
    locked_at = NULL, updated_at = now()
WHERE tenant_id = :tenant_id AND id = :id AND status = 'RUNNING' AND lease = :lease

-- name: stale_jobs
-- Ids of running jobs whose lease was not renewed for :older_than seconds (a plain read: no locks).
SELECT id FROM {schema}rs_jobs WHERE tenant_id = :tenant_id AND status = 'RUNNING' AND locked_at < now() - make_interval(secs => :older_than::float8)
LIMIT :limit

-- name: release_stale
-- Applied by id to what stale_jobs found, re-checking the condition: MariaDB would otherwise lock the
-- running-jobs index before the rows, the reverse of a concurrent complete(), and deadlock with it.
-- Running jobs whose lease was not renewed for :older_than seconds: back to PENDING with backoff when
-- attempts remain, else FAILED. Either way the old lease stops working.
UPDATE {schema}rs_jobs SET
    last_error = left(:reason || ' (worker ' || coalesce(worker_id, 'unknown') || ')', 4000),
    run_at = CASE WHEN attempt < max_attempts THEN now() + make_interval(secs => LEAST(:cap::float8, :base::float8 * power(2, LEAST(attempt - 1, 30)) * :jitter::float8)) ELSE run_at END,
    completed_at = CASE WHEN attempt < max_attempts THEN NULL ELSE now() END,
    status = CASE WHEN attempt < max_attempts THEN 'PENDING' ELSE 'FAILED' END,
    worker_id = NULL, lease = NULL, locked_at = NULL, updated_at = now()
WHERE tenant_id = :tenant_id AND id = ANY(:ids) AND status = 'RUNNING' AND locked_at < now() - make_interval(secs => :older_than::float8)

-- name: suspended_ready
-- Suspended jobs whose poll time has come, soonest first.
SELECT id AS job_id, stage_id, workflow_run_id FROM {schema}rs_jobs
WHERE tenant_id = :tenant_id AND status = 'SUSPENDED' AND next_poll_at <= now()
ORDER BY next_poll_at, id LIMIT :limit

-- name: resume
-- A suspended job back to PENDING, due at once.
UPDATE {schema}rs_jobs SET status = 'PENDING', run_at = now(), next_poll_at = NULL, updated_at = now()
WHERE tenant_id = :tenant_id AND id = :id AND status = 'SUSPENDED'

-- name: cancel
-- Cancel a job that has not finished; a running job's lease stops working.
UPDATE {schema}rs_jobs SET status = 'CANCELLED', completed_at = now(), lease = NULL, locked_at = NULL, updated_at = now()
WHERE tenant_id = :tenant_id AND id = :id AND status IN ('PENDING', 'RUNNING', 'SUSPENDED')

-- name: run_jobs
-- Ids of the unfinished jobs of a workflow run (a plain read: no locks).
SELECT id FROM {schema}rs_jobs
WHERE tenant_id = :tenant_id AND workflow_run_id = :workflow_run_id AND status IN ('PENDING', 'RUNNING', 'SUSPENDED')

-- name: cancel_by_run
-- Cancel these unfinished jobs of a workflow run (found first by run_jobs, then updated by id so that MariaDB
-- locks rows in the same order as complete()).
UPDATE {schema}rs_jobs SET status = 'CANCELLED', completed_at = now(), lease = NULL, locked_at = NULL, updated_at = now()
WHERE tenant_id = :tenant_id AND id = ANY(:ids) AND workflow_run_id = :workflow_run_id AND status IN ('PENDING', 'RUNNING', 'SUSPENDED')

-- name: get_job
-- One job by id.
SELECT id, queue, workflow_run_id, stage_id, status, priority, attempt, max_attempts, payload::text, run_at, next_poll_at, unique_key, worker_id, lease, locked_at, started_at, completed_at, last_error, created_at, updated_at FROM {schema}rs_jobs WHERE tenant_id = :tenant_id AND id = :id

-- name: counts
-- Jobs per status.
SELECT status, count(*) AS jobs FROM {schema}rs_jobs WHERE tenant_id = :tenant_id GROUP BY status

-- name: counts_queue
-- Jobs per status in one queue.
SELECT status, count(*) AS jobs FROM {schema}rs_jobs WHERE tenant_id = :tenant_id AND queue = :queue GROUP BY status

-- name: prune
-- Delete up to :limit finished jobs that finished before :before.
DELETE FROM {schema}rs_jobs WHERE tenant_id = :tenant_id AND id IN (
    SELECT id FROM {schema}rs_jobs WHERE tenant_id = :tenant_id AND status IN ('COMPLETED', 'FAILED', 'CANCELLED', 'SKIPPED') AND completed_at < :before LIMIT :limit)

-- name: db_now
-- The database clock (the tenant is echoed back so that every kit query binds it).
SELECT now(), :tenant_id::text

-- name: has_due
-- Whether a due PENDING job is waiting (polling wake-up).
SELECT 1 FROM {schema}rs_jobs WHERE tenant_id = :tenant_id AND status = 'PENDING' AND run_at <= now() LIMIT 1
