-- Read-only queries of the studio's pages for the workflow, job, AI call, score and memory pages.
-- Every one binds :tenant_id and reads one index range in order; a keyset page asks for limit + 1 rows.
-- Descending keyset pages use the hybrid predicate `ts <= :c_ts AND (ts < :c_ts OR id < :c_id)`, which
-- each database serves from the index (DESIGN.md); the first page passes the largest timestamp and id.

-- name: clock
-- The database's current time (the ages of running jobs, the AI calls chart's window).
SELECT now() AS now WHERE :tenant_id::text IS NOT NULL

-- name: job_queue_counts
-- The tenant's jobs counted per queue and status. This counts every job the tenant holds (finished ones until
-- `jobs.prune` deletes them): the page runs it in a savepoint and says so when it takes longer than the statement
-- timeout.
SELECT queue, status, COUNT(*) AS jobs FROM {schema}rs_jobs WHERE tenant_id = :tenant_id
GROUP BY queue, status ORDER BY queue, status

-- name: runs_all
-- A page of the tenant's workflow runs, newest first by (created_at, id), strictly before the cursor. No index holds
-- every run in time order, so this merges the seven status ranges of rs_workflow_runs_status_idx (each read in order,
-- limit rows at most, keys only) and then reads the page's rows by primary key: at most 7 x limit index entries and
-- limit rows, however deep the page.
SELECT r.id, r.workflow_id, r.workflow_name, r.workflow_type, r.status, r.priority, r.started_at,
       r.completed_at, r.duration, r.total_cost, r.total_tokens, r.created_at, r.updated_at
FROM (
    (SELECT created_at, id FROM {schema}rs_workflow_runs
     WHERE tenant_id = :tenant_id AND status = 'PENDING'
       AND created_at <= :c_ts AND (created_at < :c_ts OR id < :c_id)
     ORDER BY created_at DESC, id DESC LIMIT :limit)
    UNION ALL
    (SELECT created_at, id FROM {schema}rs_workflow_runs
     WHERE tenant_id = :tenant_id AND status = 'RUNNING'
       AND created_at <= :c_ts AND (created_at < :c_ts OR id < :c_id)
     ORDER BY created_at DESC, id DESC LIMIT :limit)
    UNION ALL
    (SELECT created_at, id FROM {schema}rs_workflow_runs
     WHERE tenant_id = :tenant_id AND status = 'SUSPENDED'
       AND created_at <= :c_ts AND (created_at < :c_ts OR id < :c_id)
     ORDER BY created_at DESC, id DESC LIMIT :limit)
    UNION ALL
    (SELECT created_at, id FROM {schema}rs_workflow_runs
     WHERE tenant_id = :tenant_id AND status = 'COMPLETED'
       AND created_at <= :c_ts AND (created_at < :c_ts OR id < :c_id)
     ORDER BY created_at DESC, id DESC LIMIT :limit)
    UNION ALL
    (SELECT created_at, id FROM {schema}rs_workflow_runs
     WHERE tenant_id = :tenant_id AND status = 'FAILED'
       AND created_at <= :c_ts AND (created_at < :c_ts OR id < :c_id)
     ORDER BY created_at DESC, id DESC LIMIT :limit)
    UNION ALL
    (SELECT created_at, id FROM {schema}rs_workflow_runs
     WHERE tenant_id = :tenant_id AND status = 'CANCELLED'
       AND created_at <= :c_ts AND (created_at < :c_ts OR id < :c_id)
     ORDER BY created_at DESC, id DESC LIMIT :limit)
    UNION ALL
    (SELECT created_at, id FROM {schema}rs_workflow_runs
     WHERE tenant_id = :tenant_id AND status = 'SKIPPED'
       AND created_at <= :c_ts AND (created_at < :c_ts OR id < :c_id)
     ORDER BY created_at DESC, id DESC LIMIT :limit)
) k
JOIN {schema}rs_workflow_runs r ON r.tenant_id = :tenant_id AND r.id = k.id
ORDER BY k.created_at DESC, k.id DESC LIMIT :limit

-- name: runs_by_type
-- A page of the runs of one workflow type, newest first, strictly before the cursor: the same merge over the seven
-- status ranges of rs_workflow_runs_type_idx (tenant_id, workflow_type, status, created_at, id).
SELECT r.id, r.workflow_id, r.workflow_name, r.workflow_type, r.status, r.priority, r.started_at,
       r.completed_at, r.duration, r.total_cost, r.total_tokens, r.created_at, r.updated_at
FROM (
    (SELECT created_at, id FROM {schema}rs_workflow_runs
     WHERE tenant_id = :tenant_id AND workflow_type = :workflow_type AND status = 'PENDING'
       AND created_at <= :c_ts AND (created_at < :c_ts OR id < :c_id)
     ORDER BY created_at DESC, id DESC LIMIT :limit)
    UNION ALL
    (SELECT created_at, id FROM {schema}rs_workflow_runs
     WHERE tenant_id = :tenant_id AND workflow_type = :workflow_type AND status = 'RUNNING'
       AND created_at <= :c_ts AND (created_at < :c_ts OR id < :c_id)
     ORDER BY created_at DESC, id DESC LIMIT :limit)
    UNION ALL
    (SELECT created_at, id FROM {schema}rs_workflow_runs
     WHERE tenant_id = :tenant_id AND workflow_type = :workflow_type AND status = 'SUSPENDED'
       AND created_at <= :c_ts AND (created_at < :c_ts OR id < :c_id)
     ORDER BY created_at DESC, id DESC LIMIT :limit)
    UNION ALL
    (SELECT created_at, id FROM {schema}rs_workflow_runs
     WHERE tenant_id = :tenant_id AND workflow_type = :workflow_type AND status = 'COMPLETED'
       AND created_at <= :c_ts AND (created_at < :c_ts OR id < :c_id)
     ORDER BY created_at DESC, id DESC LIMIT :limit)
    UNION ALL
    (SELECT created_at, id FROM {schema}rs_workflow_runs
     WHERE tenant_id = :tenant_id AND workflow_type = :workflow_type AND status = 'FAILED'
       AND created_at <= :c_ts AND (created_at < :c_ts OR id < :c_id)
     ORDER BY created_at DESC, id DESC LIMIT :limit)
    UNION ALL
    (SELECT created_at, id FROM {schema}rs_workflow_runs
     WHERE tenant_id = :tenant_id AND workflow_type = :workflow_type AND status = 'CANCELLED'
       AND created_at <= :c_ts AND (created_at < :c_ts OR id < :c_id)
     ORDER BY created_at DESC, id DESC LIMIT :limit)
    UNION ALL
    (SELECT created_at, id FROM {schema}rs_workflow_runs
     WHERE tenant_id = :tenant_id AND workflow_type = :workflow_type AND status = 'SKIPPED'
       AND created_at <= :c_ts AND (created_at < :c_ts OR id < :c_id)
     ORDER BY created_at DESC, id DESC LIMIT :limit)
) k
JOIN {schema}rs_workflow_runs r ON r.tenant_id = :tenant_id AND r.id = k.id
ORDER BY k.created_at DESC, k.id DESC LIMIT :limit

-- name: runs_by_status
-- A page of the runs in one status, newest first, strictly before the cursor (rs_workflow_runs_status_idx, in order).
SELECT id, workflow_id, workflow_name, workflow_type, status, priority, started_at, completed_at, duration,
       total_cost, total_tokens, created_at, updated_at
FROM {schema}rs_workflow_runs
WHERE tenant_id = :tenant_id AND status = :status
  AND created_at <= :c_ts AND (created_at < :c_ts OR id < :c_id)
ORDER BY created_at DESC, id DESC LIMIT :limit

-- name: runs_by_type_status
-- A page of the runs of one workflow type in one status, newest first, strictly before the cursor
-- (rs_workflow_runs_type_idx, in order).
SELECT id, workflow_id, workflow_name, workflow_type, status, priority, started_at, completed_at, duration,
       total_cost, total_tokens, created_at, updated_at
FROM {schema}rs_workflow_runs
WHERE tenant_id = :tenant_id AND workflow_type = :workflow_type AND status = :status
  AND created_at <= :c_ts AND (created_at < :c_ts OR id < :c_id)
ORDER BY created_at DESC, id DESC LIMIT :limit

-- name: run_types
-- The tenant's workflow types in order, at most :limit of them (the runs filter's choices): a loose index scan of
-- rs_workflow_runs_type_idx, one probe per type, however many runs each has.
WITH RECURSIVE types (workflow_type, n) AS (
    SELECT (SELECT workflow_type FROM {schema}rs_workflow_runs
            WHERE tenant_id = :tenant_id ORDER BY workflow_type LIMIT 1), 1
    UNION ALL
    SELECT (SELECT w.workflow_type FROM {schema}rs_workflow_runs w
            WHERE w.tenant_id = :tenant_id AND w.workflow_type > types.workflow_type
            ORDER BY w.workflow_type LIMIT 1), types.n + 1
    FROM types WHERE types.workflow_type IS NOT NULL AND types.n < :limit
)
SELECT workflow_type FROM types WHERE workflow_type IS NOT NULL ORDER BY workflow_type

-- name: run_logs_page
-- A page of a run's log lines, oldest first by (created_at, id), strictly after the cursor (rs_workflow_logs_run_idx,
-- in order); :level, when not NULL, keeps one level (a filter on the range).
SELECT id, created_at, workflow_run_id, workflow_stage_id, level, message, metadata::text
FROM {schema}rs_workflow_logs
WHERE tenant_id = :tenant_id AND workflow_run_id = :run_id
  AND created_at >= :c_ts AND (created_at > :c_ts OR id > :c_id)
  AND (:level::text IS NULL OR level = :level)
ORDER BY created_at, id LIMIT :limit

-- name: stage_logs_page
-- A page of one stage's log lines (by the stage's row id), oldest first by (created_at, id), strictly after the
-- cursor (rs_workflow_logs_stage_idx, in order); :level as in run_logs_page.
SELECT id, created_at, workflow_run_id, workflow_stage_id, level, message, metadata::text
FROM {schema}rs_workflow_logs
WHERE tenant_id = :tenant_id AND workflow_stage_id = :stage_row_id
  AND created_at >= :c_ts AND (created_at > :c_ts OR id > :c_id)
  AND (:level::text IS NULL OR level = :level)
ORDER BY created_at, id LIMIT :limit

-- name: running_jobs
-- A page of the running jobs, longest-held lease first by (locked_at, id), strictly after the cursor, from the
-- partial rs_jobs_running_idx (its predicate repeated so that it applies).
SELECT id, queue, workflow_run_id, stage_id, status, priority, attempt, max_attempts, run_at, worker_id,
       locked_at, started_at, completed_at, left(last_error, 1000) AS last_error, created_at, updated_at
FROM {schema}rs_jobs
WHERE tenant_id = :tenant_id AND status = 'RUNNING' AND locked_at IS NOT NULL
  AND locked_at >= :c_ts AND (locked_at > :c_ts OR id > :c_id)
ORDER BY locked_at, id LIMIT :limit

-- name: failed_jobs
-- A page of the failed jobs, newest failure first by (updated_at, id), strictly before the cursor, from the partial
-- rs_jobs_failed_idx (migration 0021), in order.
SELECT id, queue, workflow_run_id, stage_id, status, priority, attempt, max_attempts, run_at, worker_id,
       locked_at, started_at, completed_at, left(last_error, 1000) AS last_error, created_at, updated_at
FROM {schema}rs_jobs
WHERE tenant_id = :tenant_id AND status = 'FAILED'
  AND updated_at <= :c_ts AND (updated_at < :c_ts OR id < :c_id)
ORDER BY updated_at DESC, id DESC LIMIT :limit

-- name: ai_daily
-- The tenant's AI calls since :since per UTC day (YYYY-MM-DD) and model key: how many, their tokens and exact cost in
-- nano-units. One range of rs_ai_calls_created_idx (migration 0021), which holds every column this reads: the cost is
-- the calls in the window, never the table.
SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, model_key, COUNT(*) AS calls,
       SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens, SUM(cost_nanos) AS cost_nanos
FROM {schema}rs_ai_calls
WHERE tenant_id = :tenant_id AND created_at >= :since
GROUP BY day, model_key ORDER BY day, model_key

-- name: scorers
-- A page of the scorers that have scores, in scorer id order after :after, each with the time of its newest score: a
-- loose index scan of rs_scores_scorer_idx (one probe per scorer), at most :limit of them.
WITH RECURSIVE ids (scorer_id, n) AS (
    SELECT (SELECT scorer_id FROM {schema}rs_scores
            WHERE tenant_id = :tenant_id AND scorer_id > :after ORDER BY scorer_id LIMIT 1), 1
    UNION ALL
    SELECT (SELECT s.scorer_id FROM {schema}rs_scores s
            WHERE s.tenant_id = :tenant_id AND s.scorer_id > ids.scorer_id
            ORDER BY s.scorer_id LIMIT 1), ids.n + 1
    FROM ids WHERE ids.scorer_id IS NOT NULL AND ids.n < :limit
)
SELECT ids.scorer_id,
       (SELECT m.created_at FROM {schema}rs_scores m
        WHERE m.tenant_id = :tenant_id AND m.scorer_id = ids.scorer_id
        ORDER BY m.created_at DESC LIMIT 1) AS last_created
FROM ids WHERE ids.scorer_id IS NOT NULL ORDER BY ids.scorer_id

-- name: score_histogram
-- A scorer's scores created within [since, until] counted per bucket of width :width from :lo: bucket floor((score -
-- lo) / width), the caller folds the top edge (score = max) into the last bucket. The rows and the index range of
-- scores.stats_by_scorer (rs_scores_scorer_idx, which covers (source, score)); :source, when not NULL, filters it.
SELECT floor((score - :lo::float8) / :width::float8)::integer AS bucket, COUNT(*) AS scores
FROM {schema}rs_scores
WHERE tenant_id = :tenant_id AND scorer_id = :scorer_id
  AND created_at >= :since AND created_at <= :until AND (:source::text IS NULL OR source = :source)
GROUP BY bucket ORDER BY bucket

-- name: mem_users
-- A page of the tenant's semantic-memory users in id order after :after (the primary key).
SELECT id, email, name, metadata::text, created_at, updated_at
FROM {schema}rs_mem_users
WHERE tenant_id = :tenant_id AND id > :after ORDER BY id LIMIT :limit
