-- Workflow snapshots (store.snapshots): one JSON snapshot per (workflow_name, run_id) of a tenant.
-- Snapshots travel as JSON text (cast to and from jsonb). Listings that do not ask for the snapshot select
-- NULL AS snapshot and never read the column.
--
-- The list_runs pages: one query per combination of the equality filters (workflow_name, resource_id, status),
-- each served by its own index (migration 0013), newest first by (created_at, workflow_name, run_id), strictly before
-- the cursor (c_ts, c_wf, c_run) and at or after :since (the caller folds :until into the cursor). runs_* select
-- NULL AS snapshot, runs_with_snapshot_* the snapshot; count_runs_* count the same filters within [since, until].
-- With a workflow_name filter the ORDER BY leaves out workflow_name (a constant there): MariaDB would sort otherwise.

-- name: upsert_snapshot
-- Insert a run's snapshot, or replace snapshot, status and updated_at of the stored one (created_at is kept, and so is
-- the stored resource_id when :resource_id is NULL). Returns the stored row without its snapshot.
INSERT INTO {schema}rs_workflow_snapshots AS s (tenant_id, workflow_name, run_id, resource_id, status, created_at, updated_at, snapshot)
VALUES (:tenant_id, :workflow_name, :run_id, :resource_id, :status, :now, :now, :snapshot::jsonb)
ON CONFLICT (tenant_id, workflow_name, run_id) DO UPDATE SET
    resource_id = coalesce(EXCLUDED.resource_id, s.resource_id), status = EXCLUDED.status,
    updated_at = EXCLUDED.updated_at, snapshot = EXCLUDED.snapshot
RETURNING workflow_name, run_id, NULL AS snapshot, resource_id, status, created_at, updated_at

-- name: insert_new_snapshot
-- Insert a run (without resource) unless it exists: the rows inserted, 0 when the run existed (and is untouched).
INSERT INTO {schema}rs_workflow_snapshots (tenant_id, workflow_name, run_id, resource_id, status, created_at, updated_at, snapshot)
VALUES (:tenant_id, :workflow_name, :run_id, NULL, :status, :now, :now, :snapshot::jsonb)
ON CONFLICT (tenant_id, workflow_name, run_id) DO NOTHING

-- name: load_snapshot
-- The snapshot of one run.
SELECT snapshot::text AS snapshot FROM {schema}rs_workflow_snapshots WHERE tenant_id = :tenant_id AND workflow_name = :workflow_name AND run_id = :run_id

-- name: get_snapshot
-- One run with its snapshot.
SELECT workflow_name, run_id, snapshot::text AS snapshot, resource_id, status, created_at, updated_at
FROM {schema}rs_workflow_snapshots WHERE tenant_id = :tenant_id AND workflow_name = :workflow_name AND run_id = :run_id

-- name: lock_snapshot
-- One run with its snapshot, row-locked until the transaction ends.
SELECT workflow_name, run_id, snapshot::text AS snapshot, resource_id, status, created_at, updated_at
FROM {schema}rs_workflow_snapshots WHERE tenant_id = :tenant_id AND workflow_name = :workflow_name AND run_id = :run_id FOR UPDATE

-- name: latest_run
-- The newest run with this run id, whatever its workflow (ties: the greatest workflow_name).
SELECT workflow_name, run_id, snapshot::text AS snapshot, resource_id, status, created_at, updated_at
FROM {schema}rs_workflow_snapshots WHERE tenant_id = :tenant_id AND run_id = :run_id
ORDER BY created_at DESC, workflow_name DESC LIMIT 1

-- name: update_snapshot
-- Replace a run's snapshot and updated_at (its status is unchanged).
UPDATE {schema}rs_workflow_snapshots SET snapshot = :snapshot::jsonb, updated_at = :now
WHERE tenant_id = :tenant_id AND workflow_name = :workflow_name AND run_id = :run_id

-- name: set_state
-- Replace a run's snapshot, status and updated_at.
UPDATE {schema}rs_workflow_snapshots SET snapshot = :snapshot::jsonb, status = :status, updated_at = :now
WHERE tenant_id = :tenant_id AND workflow_name = :workflow_name AND run_id = :run_id

-- name: delete_snapshot
DELETE FROM {schema}rs_workflow_snapshots WHERE tenant_id = :tenant_id AND workflow_name = :workflow_name AND run_id = :run_id

-- name: runs
-- A page of runs without snapshots (no filter).
SELECT workflow_name, run_id, NULL AS snapshot, resource_id, status, created_at, updated_at
FROM {schema}rs_workflow_snapshots
WHERE tenant_id = :tenant_id
  AND created_at >= :since AND created_at <= :c_ts
  AND (created_at < :c_ts OR workflow_name < :c_wf OR (workflow_name = :c_wf AND run_id < :c_run))
ORDER BY created_at DESC, workflow_name DESC, run_id DESC LIMIT :limit

-- name: runs_with_snapshot
-- A page of runs with their snapshots (no filter).
SELECT workflow_name, run_id, snapshot::text AS snapshot, resource_id, status, created_at, updated_at
FROM {schema}rs_workflow_snapshots
WHERE tenant_id = :tenant_id
  AND created_at >= :since AND created_at <= :c_ts
  AND (created_at < :c_ts OR workflow_name < :c_wf OR (workflow_name = :c_wf AND run_id < :c_run))
ORDER BY created_at DESC, workflow_name DESC, run_id DESC LIMIT :limit

-- name: count_runs
SELECT count(*) FROM {schema}rs_workflow_snapshots
WHERE tenant_id = :tenant_id AND created_at >= :since AND created_at <= :until

-- name: runs_by_name
-- A page of runs without snapshots (workflow_name).
SELECT workflow_name, run_id, NULL AS snapshot, resource_id, status, created_at, updated_at
FROM {schema}rs_workflow_snapshots
WHERE tenant_id = :tenant_id AND workflow_name = :workflow_name
  AND created_at >= :since AND created_at <= :c_ts
  AND (created_at < :c_ts OR workflow_name < :c_wf OR (workflow_name = :c_wf AND run_id < :c_run))
ORDER BY created_at DESC, run_id DESC LIMIT :limit

-- name: runs_with_snapshot_by_name
-- A page of runs with their snapshots (workflow_name).
SELECT workflow_name, run_id, snapshot::text AS snapshot, resource_id, status, created_at, updated_at
FROM {schema}rs_workflow_snapshots
WHERE tenant_id = :tenant_id AND workflow_name = :workflow_name
  AND created_at >= :since AND created_at <= :c_ts
  AND (created_at < :c_ts OR workflow_name < :c_wf OR (workflow_name = :c_wf AND run_id < :c_run))
ORDER BY created_at DESC, run_id DESC LIMIT :limit

-- name: count_runs_by_name
SELECT count(*) FROM {schema}rs_workflow_snapshots
WHERE tenant_id = :tenant_id AND workflow_name = :workflow_name AND created_at >= :since AND created_at <= :until

-- name: runs_by_resource
-- A page of runs without snapshots (resource_id).
SELECT workflow_name, run_id, NULL AS snapshot, resource_id, status, created_at, updated_at
FROM {schema}rs_workflow_snapshots
WHERE tenant_id = :tenant_id AND resource_id = :resource_id
  AND created_at >= :since AND created_at <= :c_ts
  AND (created_at < :c_ts OR workflow_name < :c_wf OR (workflow_name = :c_wf AND run_id < :c_run))
ORDER BY created_at DESC, workflow_name DESC, run_id DESC LIMIT :limit

-- name: runs_with_snapshot_by_resource
-- A page of runs with their snapshots (resource_id).
SELECT workflow_name, run_id, snapshot::text AS snapshot, resource_id, status, created_at, updated_at
FROM {schema}rs_workflow_snapshots
WHERE tenant_id = :tenant_id AND resource_id = :resource_id
  AND created_at >= :since AND created_at <= :c_ts
  AND (created_at < :c_ts OR workflow_name < :c_wf OR (workflow_name = :c_wf AND run_id < :c_run))
ORDER BY created_at DESC, workflow_name DESC, run_id DESC LIMIT :limit

-- name: count_runs_by_resource
SELECT count(*) FROM {schema}rs_workflow_snapshots
WHERE tenant_id = :tenant_id AND resource_id = :resource_id AND created_at >= :since AND created_at <= :until

-- name: runs_by_status
-- A page of runs without snapshots (status).
SELECT workflow_name, run_id, NULL AS snapshot, resource_id, status, created_at, updated_at
FROM {schema}rs_workflow_snapshots
WHERE tenant_id = :tenant_id AND status = :status
  AND created_at >= :since AND created_at <= :c_ts
  AND (created_at < :c_ts OR workflow_name < :c_wf OR (workflow_name = :c_wf AND run_id < :c_run))
ORDER BY created_at DESC, workflow_name DESC, run_id DESC LIMIT :limit

-- name: runs_with_snapshot_by_status
-- A page of runs with their snapshots (status).
SELECT workflow_name, run_id, snapshot::text AS snapshot, resource_id, status, created_at, updated_at
FROM {schema}rs_workflow_snapshots
WHERE tenant_id = :tenant_id AND status = :status
  AND created_at >= :since AND created_at <= :c_ts
  AND (created_at < :c_ts OR workflow_name < :c_wf OR (workflow_name = :c_wf AND run_id < :c_run))
ORDER BY created_at DESC, workflow_name DESC, run_id DESC LIMIT :limit

-- name: count_runs_by_status
SELECT count(*) FROM {schema}rs_workflow_snapshots
WHERE tenant_id = :tenant_id AND status = :status AND created_at >= :since AND created_at <= :until

-- name: runs_by_name_resource
-- A page of runs without snapshots (workflow_name, resource_id).
SELECT workflow_name, run_id, NULL AS snapshot, resource_id, status, created_at, updated_at
FROM {schema}rs_workflow_snapshots
WHERE tenant_id = :tenant_id AND workflow_name = :workflow_name AND resource_id = :resource_id
  AND created_at >= :since AND created_at <= :c_ts
  AND (created_at < :c_ts OR workflow_name < :c_wf OR (workflow_name = :c_wf AND run_id < :c_run))
ORDER BY created_at DESC, run_id DESC LIMIT :limit

-- name: runs_with_snapshot_by_name_resource
-- A page of runs with their snapshots (workflow_name, resource_id).
SELECT workflow_name, run_id, snapshot::text AS snapshot, resource_id, status, created_at, updated_at
FROM {schema}rs_workflow_snapshots
WHERE tenant_id = :tenant_id AND workflow_name = :workflow_name AND resource_id = :resource_id
  AND created_at >= :since AND created_at <= :c_ts
  AND (created_at < :c_ts OR workflow_name < :c_wf OR (workflow_name = :c_wf AND run_id < :c_run))
ORDER BY created_at DESC, run_id DESC LIMIT :limit

-- name: count_runs_by_name_resource
SELECT count(*) FROM {schema}rs_workflow_snapshots
WHERE tenant_id = :tenant_id AND workflow_name = :workflow_name AND resource_id = :resource_id AND created_at >= :since AND created_at <= :until

-- name: runs_by_name_status
-- A page of runs without snapshots (workflow_name, status).
SELECT workflow_name, run_id, NULL AS snapshot, resource_id, status, created_at, updated_at
FROM {schema}rs_workflow_snapshots
WHERE tenant_id = :tenant_id AND workflow_name = :workflow_name AND status = :status
  AND created_at >= :since AND created_at <= :c_ts
  AND (created_at < :c_ts OR workflow_name < :c_wf OR (workflow_name = :c_wf AND run_id < :c_run))
ORDER BY created_at DESC, run_id DESC LIMIT :limit

-- name: runs_with_snapshot_by_name_status
-- A page of runs with their snapshots (workflow_name, status).
SELECT workflow_name, run_id, snapshot::text AS snapshot, resource_id, status, created_at, updated_at
FROM {schema}rs_workflow_snapshots
WHERE tenant_id = :tenant_id AND workflow_name = :workflow_name AND status = :status
  AND created_at >= :since AND created_at <= :c_ts
  AND (created_at < :c_ts OR workflow_name < :c_wf OR (workflow_name = :c_wf AND run_id < :c_run))
ORDER BY created_at DESC, run_id DESC LIMIT :limit

-- name: count_runs_by_name_status
SELECT count(*) FROM {schema}rs_workflow_snapshots
WHERE tenant_id = :tenant_id AND workflow_name = :workflow_name AND status = :status AND created_at >= :since AND created_at <= :until

-- name: runs_by_resource_status
-- A page of runs without snapshots (resource_id, status).
SELECT workflow_name, run_id, NULL AS snapshot, resource_id, status, created_at, updated_at
FROM {schema}rs_workflow_snapshots
WHERE tenant_id = :tenant_id AND resource_id = :resource_id AND status = :status
  AND created_at >= :since AND created_at <= :c_ts
  AND (created_at < :c_ts OR workflow_name < :c_wf OR (workflow_name = :c_wf AND run_id < :c_run))
ORDER BY created_at DESC, workflow_name DESC, run_id DESC LIMIT :limit

-- name: runs_with_snapshot_by_resource_status
-- A page of runs with their snapshots (resource_id, status).
SELECT workflow_name, run_id, snapshot::text AS snapshot, resource_id, status, created_at, updated_at
FROM {schema}rs_workflow_snapshots
WHERE tenant_id = :tenant_id AND resource_id = :resource_id AND status = :status
  AND created_at >= :since AND created_at <= :c_ts
  AND (created_at < :c_ts OR workflow_name < :c_wf OR (workflow_name = :c_wf AND run_id < :c_run))
ORDER BY created_at DESC, workflow_name DESC, run_id DESC LIMIT :limit

-- name: count_runs_by_resource_status
SELECT count(*) FROM {schema}rs_workflow_snapshots
WHERE tenant_id = :tenant_id AND resource_id = :resource_id AND status = :status AND created_at >= :since AND created_at <= :until

-- name: runs_by_name_resource_status
-- A page of runs without snapshots (workflow_name, resource_id, status).
SELECT workflow_name, run_id, NULL AS snapshot, resource_id, status, created_at, updated_at
FROM {schema}rs_workflow_snapshots
WHERE tenant_id = :tenant_id AND workflow_name = :workflow_name AND resource_id = :resource_id AND status = :status
  AND created_at >= :since AND created_at <= :c_ts
  AND (created_at < :c_ts OR workflow_name < :c_wf OR (workflow_name = :c_wf AND run_id < :c_run))
ORDER BY created_at DESC, run_id DESC LIMIT :limit

-- name: runs_with_snapshot_by_name_resource_status
-- A page of runs with their snapshots (workflow_name, resource_id, status).
SELECT workflow_name, run_id, snapshot::text AS snapshot, resource_id, status, created_at, updated_at
FROM {schema}rs_workflow_snapshots
WHERE tenant_id = :tenant_id AND workflow_name = :workflow_name AND resource_id = :resource_id AND status = :status
  AND created_at >= :since AND created_at <= :c_ts
  AND (created_at < :c_ts OR workflow_name < :c_wf OR (workflow_name = :c_wf AND run_id < :c_run))
ORDER BY created_at DESC, run_id DESC LIMIT :limit

-- name: count_runs_by_name_resource_status
SELECT count(*) FROM {schema}rs_workflow_snapshots
WHERE tenant_id = :tenant_id AND workflow_name = :workflow_name AND resource_id = :resource_id AND status = :status AND created_at >= :since AND created_at <= :until
