-- name: insert_evals
-- Insert a batch of evals (aiomysql sends it as one multi-row INSERT); an id already stored (or repeated in the
-- batch) is a duplicate key, so the whole batch fails and nothing is written.
INSERT INTO rs_evals (tenant_id, id, agent_name, metric_name, input, output, result, instructions, run_id,
                      global_run_id, test_info, is_test, created_at)
VALUES (:tenant_id, :id, :agent_name, :metric_name, :input, :output, :result, :instructions, :run_id,
        :global_run_id, :test_info, :is_test, :created_at)

-- name: evals
-- A page of the tenant's evals, read backwards from the index
-- (tenant_id, created_at, id).
-- Newest first by (created_at, id), strictly before the cursor (c_ts, c_id), created_at within [lo, hi].
SELECT agent_name, metric_name, input, output, result, instructions, run_id, global_run_id,
       test_info, created_at, id
FROM rs_evals FORCE INDEX (rs_evals_created_idx)
WHERE tenant_id = :tenant_id AND created_at <= :hi
  AND created_at >= :lo AND (created_at < :c_ts OR id < :c_id)
ORDER BY created_at DESC, id DESC LIMIT :limit

-- name: count_evals
-- How many evals `evals` lists over all its pages.
SELECT count(*) FROM rs_evals FORCE INDEX (rs_evals_created_idx)
WHERE tenant_id = :tenant_id AND created_at <= :hi
  AND created_at >= :lo

-- name: evals_by_agent
-- A page of one agent's evals, read backwards from the index
-- (tenant_id, agent_name, created_at, id).
-- Newest first by (created_at, id), strictly before the cursor (c_ts, c_id), created_at within [lo, hi].
SELECT agent_name, metric_name, input, output, result, instructions, run_id, global_run_id,
       test_info, created_at, id
FROM rs_evals FORCE INDEX (rs_evals_agent_idx)
WHERE tenant_id = :tenant_id AND agent_name = :agent_name AND created_at <= :hi
  AND created_at >= :lo AND (created_at < :c_ts OR id < :c_id)
ORDER BY created_at DESC, id DESC LIMIT :limit

-- name: count_evals_by_agent
-- How many evals `evals_by_agent` lists over all its pages.
SELECT count(*) FROM rs_evals FORCE INDEX (rs_evals_agent_idx)
WHERE tenant_id = :tenant_id AND agent_name = :agent_name AND created_at <= :hi
  AND created_at >= :lo

-- name: evals_by_type
-- A page of the test (or the live) evals, read backwards from the index
-- (tenant_id, is_test, created_at, id).
-- Newest first by (created_at, id), strictly before the cursor (c_ts, c_id), created_at within [lo, hi].
SELECT agent_name, metric_name, input, output, result, instructions, run_id, global_run_id,
       test_info, created_at, id
FROM rs_evals FORCE INDEX (rs_evals_type_idx)
WHERE tenant_id = :tenant_id AND is_test = :is_test AND created_at <= :hi
  AND created_at >= :lo AND (created_at < :c_ts OR id < :c_id)
ORDER BY created_at DESC, id DESC LIMIT :limit

-- name: count_evals_by_type
-- How many evals `evals_by_type` lists over all its pages.
SELECT count(*) FROM rs_evals FORCE INDEX (rs_evals_type_idx)
WHERE tenant_id = :tenant_id AND is_test = :is_test AND created_at <= :hi
  AND created_at >= :lo

-- name: evals_by_agent_type
-- A page of one agent's test (or live) evals, read backwards from the index
-- (tenant_id, agent_name, is_test, created_at, id).
-- Newest first by (created_at, id), strictly before the cursor (c_ts, c_id), created_at within [lo, hi].
SELECT agent_name, metric_name, input, output, result, instructions, run_id, global_run_id,
       test_info, created_at, id
FROM rs_evals FORCE INDEX (rs_evals_agent_type_idx)
WHERE tenant_id = :tenant_id AND agent_name = :agent_name AND is_test = :is_test AND created_at <= :hi
  AND created_at >= :lo AND (created_at < :c_ts OR id < :c_id)
ORDER BY created_at DESC, id DESC LIMIT :limit

-- name: count_evals_by_agent_type
-- How many evals `evals_by_agent_type` lists over all its pages.
SELECT count(*) FROM rs_evals FORCE INDEX (rs_evals_agent_type_idx)
WHERE tenant_id = :tenant_id AND agent_name = :agent_name AND is_test = :is_test AND created_at <= :hi
  AND created_at >= :lo
