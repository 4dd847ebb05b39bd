-- name: insert_run
-- Insert a PENDING run (version 1, timestamps from the database clock); a duplicate id is a unique violation.
INSERT INTO rs_workflow_runs (tenant_id, id, workflow_id, workflow_name, workflow_type, status, priority, input,
    config, total_cost, total_tokens, metadata, version, created_at, updated_at)
VALUES (:tenant_id, :id, :workflow_id, :workflow_name, :workflow_type, 'PENDING', :priority, :input,
    :config, 0, 0, :metadata, 1, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
RETURNING id, created_at, updated_at, workflow_id, workflow_name, workflow_type, status, started_at, completed_at,
    duration, input, output, config, total_cost, total_tokens, priority, metadata, version

-- name: get_run
SELECT id, created_at, updated_at, workflow_id, workflow_name, workflow_type, status, started_at, completed_at,
    duration, input, output, config, total_cost, total_tokens, priority, metadata, version
FROM rs_workflow_runs WHERE tenant_id = :tenant_id AND id = :id

-- name: get_run_status
SELECT status FROM rs_workflow_runs WHERE tenant_id = :tenant_id AND id = :id

-- name: runs_by_status
-- Runs in one status, oldest first.
SELECT id, created_at, updated_at, workflow_id, workflow_name, workflow_type, status, started_at, completed_at,
    duration, input, output, config, total_cost, total_tokens, priority, metadata, version
FROM rs_workflow_runs WHERE tenant_id = :tenant_id AND status = :status
ORDER BY created_at, id LIMIT :limit

-- name: update_run
-- Set every field whose set_<field> flag is true, bump version and updated_at; with :expected_version, only
-- while the stored version still equals it.
UPDATE rs_workflow_runs SET
    workflow_id = CASE WHEN :set_workflow_id THEN :workflow_id ELSE workflow_id END,
    workflow_name = CASE WHEN :set_workflow_name THEN :workflow_name ELSE workflow_name END,
    workflow_type = CASE WHEN :set_workflow_type THEN :workflow_type ELSE workflow_type END,
    status = CASE WHEN :set_status THEN :status ELSE status END,
    started_at = CASE WHEN :set_started_at THEN :started_at ELSE started_at END,
    completed_at = CASE WHEN :set_completed_at THEN :completed_at ELSE completed_at END,
    duration = CASE WHEN :set_duration THEN :duration ELSE duration END,
    input = CASE WHEN :set_input THEN :input ELSE input END,
    output = CASE WHEN :set_output THEN :output ELSE output END,
    config = CASE WHEN :set_config THEN :config ELSE config END,
    total_cost = CASE WHEN :set_total_cost THEN :total_cost ELSE total_cost END,
    total_tokens = CASE WHEN :set_total_tokens THEN :total_tokens ELSE total_tokens END,
    priority = CASE WHEN :set_priority THEN :priority ELSE priority END,
    metadata = CASE WHEN :set_metadata THEN :metadata ELSE metadata END,
    version = version + 1, updated_at = UTC_TIMESTAMP(6)
WHERE tenant_id = :tenant_id AND id = :id AND (:expected_version IS NULL OR version = :expected_version)

-- name: claim_run
-- Claim one PENDING run: RUNNING, started now, version + 1. Zero rows changed: missing or not PENDING.
UPDATE rs_workflow_runs SET status = 'RUNNING', started_at = UTC_TIMESTAMP(6), version = version + 1,
    updated_at = UTC_TIMESTAMP(6)
WHERE tenant_id = :tenant_id AND id = :id AND status = 'PENDING'

-- name: claim_next_run
-- MariaDB has no UPDATE ... RETURNING: pick and lock the next PENDING run (priority DESC, then oldest), skipping
-- runs other claimers hold; the caller marks it with claim_run in the same transaction.
SELECT id FROM rs_workflow_runs FORCE INDEX (rs_workflow_runs_claim_idx)
WHERE tenant_id = :tenant_id AND status = 'PENDING'
ORDER BY priority DESC, created_at, id LIMIT 1
FOR UPDATE SKIP LOCKED

-- name: insert_stage
-- Insert a stage (version 1); a duplicate (run, stage_id) is a unique violation, a missing run a foreign-key one.
INSERT INTO rs_workflow_stages (tenant_id, id, workflow_run_id, stage_id, stage_name, stage_number, execution_group,
    status, attempt, started_at, completed_at, duration, input_data, output_data, config, suspended_state,
    resume_data, next_poll_at, poll_interval, max_wait_until, metrics, embedding_info, error_message, version,
    created_at, updated_at)
VALUES (:tenant_id, :id, :workflow_run_id, :stage_id, :stage_name, :stage_number, :execution_group, :status, :attempt,
    :started_at, :completed_at, :duration, :input_data, :output_data, :config, :suspended_state, :resume_data,
    :next_poll_at, :poll_interval, :max_wait_until, :metrics, :embedding_info, :error_message, 1, UTC_TIMESTAMP(6),
    UTC_TIMESTAMP(6))
RETURNING id, created_at, updated_at, workflow_run_id, stage_id, stage_name, stage_number, execution_group, status,
    attempt, started_at, completed_at, duration, input_data, output_data, config, suspended_state, resume_data,
    next_poll_at, poll_interval, max_wait_until, metrics, embedding_info, error_message, version

-- name: upsert_stage
-- Insert a stage, or on an existing (run, stage_id) set name, number and group plus every field whose set_<field>
-- flag is true, bumping version and updated_at. Returns the stored row.
INSERT INTO rs_workflow_stages (tenant_id, id, workflow_run_id, stage_id, stage_name, stage_number, execution_group,
    status, attempt, started_at, completed_at, duration, input_data, output_data, config, suspended_state,
    resume_data, next_poll_at, poll_interval, max_wait_until, metrics, embedding_info, error_message, version,
    created_at, updated_at)
VALUES (:tenant_id, :id, :workflow_run_id, :stage_id, :stage_name, :stage_number, :execution_group, :status, :attempt,
    :started_at, :completed_at, :duration, :input_data, :output_data, :config, :suspended_state, :resume_data,
    :next_poll_at, :poll_interval, :max_wait_until, :metrics, :embedding_info, :error_message, 1, UTC_TIMESTAMP(6),
    UTC_TIMESTAMP(6))
ON DUPLICATE KEY UPDATE
    stage_name = VALUES(stage_name), stage_number = VALUES(stage_number), execution_group = VALUES(execution_group),
    status = IF(:set_status, VALUES(status), status),
    attempt = IF(:set_attempt, VALUES(attempt), attempt),
    started_at = IF(:set_started_at, VALUES(started_at), started_at),
    completed_at = IF(:set_completed_at, VALUES(completed_at), completed_at),
    duration = IF(:set_duration, VALUES(duration), duration),
    input_data = IF(:set_input_data, VALUES(input_data), input_data),
    output_data = IF(:set_output_data, VALUES(output_data), output_data),
    config = IF(:set_config, VALUES(config), config),
    suspended_state = IF(:set_suspended_state, VALUES(suspended_state), suspended_state),
    resume_data = IF(:set_resume_data, VALUES(resume_data), resume_data),
    next_poll_at = IF(:set_next_poll_at, VALUES(next_poll_at), next_poll_at),
    poll_interval = IF(:set_poll_interval, VALUES(poll_interval), poll_interval),
    max_wait_until = IF(:set_max_wait_until, VALUES(max_wait_until), max_wait_until),
    metrics = IF(:set_metrics, VALUES(metrics), metrics),
    embedding_info = IF(:set_embedding_info, VALUES(embedding_info), embedding_info),
    error_message = IF(:set_error_message, VALUES(error_message), error_message),
    version = version + 1, updated_at = UTC_TIMESTAMP(6)
RETURNING id, created_at, updated_at, workflow_run_id, stage_id, stage_name, stage_number, execution_group, status,
    attempt, started_at, completed_at, duration, input_data, output_data, config, suspended_state, resume_data,
    next_poll_at, poll_interval, max_wait_until, metrics, embedding_info, error_message, version

-- name: get_stage
SELECT id, created_at, updated_at, workflow_run_id, stage_id, stage_name, stage_number, execution_group, status,
    attempt, started_at, completed_at, duration, input_data, output_data, config, suspended_state, resume_data,
    next_poll_at, poll_interval, max_wait_until, metrics, embedding_info, error_message, version
FROM rs_workflow_stages WHERE tenant_id = :tenant_id AND workflow_run_id = :run_id AND stage_id = :stage_id

-- name: get_stage_by_id
SELECT id, created_at, updated_at, workflow_run_id, stage_id, stage_name, stage_number, execution_group, status,
    attempt, started_at, completed_at, duration, input_data, output_data, config, suspended_state, resume_data,
    next_poll_at, poll_interval, max_wait_until, metrics, embedding_info, error_message, version
FROM rs_workflow_stages WHERE tenant_id = :tenant_id AND id = :id

-- name: update_stage
-- Set every field whose set_<field> flag is true, bump version and updated_at (optionally only at :expected_version).
UPDATE rs_workflow_stages SET
    stage_name = CASE WHEN :set_stage_name THEN :stage_name ELSE stage_name END,
    stage_number = CASE WHEN :set_stage_number THEN :stage_number ELSE stage_number END,
    execution_group = CASE WHEN :set_execution_group THEN :execution_group ELSE execution_group END,
    status = CASE WHEN :set_status THEN :status ELSE status END,
    attempt = CASE WHEN :set_attempt THEN :attempt ELSE attempt END,
    started_at = CASE WHEN :set_started_at THEN :started_at ELSE started_at END,
    completed_at = CASE WHEN :set_completed_at THEN :completed_at ELSE completed_at END,
    duration = CASE WHEN :set_duration THEN :duration ELSE duration END,
    input_data = CASE WHEN :set_input_data THEN :input_data ELSE input_data END,
    output_data = CASE WHEN :set_output_data THEN :output_data ELSE output_data END,
    config = CASE WHEN :set_config THEN :config ELSE config END,
    suspended_state = CASE WHEN :set_suspended_state THEN :suspended_state ELSE suspended_state END,
    resume_data = CASE WHEN :set_resume_data THEN :resume_data ELSE resume_data END,
    next_poll_at = CASE WHEN :set_next_poll_at THEN :next_poll_at ELSE next_poll_at END,
    poll_interval = CASE WHEN :set_poll_interval THEN :poll_interval ELSE poll_interval END,
    max_wait_until = CASE WHEN :set_max_wait_until THEN :max_wait_until ELSE max_wait_until END,
    metrics = CASE WHEN :set_metrics THEN :metrics ELSE metrics END,
    embedding_info = CASE WHEN :set_embedding_info THEN :embedding_info ELSE embedding_info END,
    error_message = CASE WHEN :set_error_message THEN :error_message ELSE error_message END,
    version = version + 1, updated_at = UTC_TIMESTAMP(6)
WHERE tenant_id = :tenant_id AND id = :id AND (:expected_version IS NULL OR version = :expected_version)

-- name: update_stage_by_key
-- update_stage for the stage found by (run, stage_id).
UPDATE rs_workflow_stages SET
    stage_name = CASE WHEN :set_stage_name THEN :stage_name ELSE stage_name END,
    stage_number = CASE WHEN :set_stage_number THEN :stage_number ELSE stage_number END,
    execution_group = CASE WHEN :set_execution_group THEN :execution_group ELSE execution_group END,
    status = CASE WHEN :set_status THEN :status ELSE status END,
    attempt = CASE WHEN :set_attempt THEN :attempt ELSE attempt END,
    started_at = CASE WHEN :set_started_at THEN :started_at ELSE started_at END,
    completed_at = CASE WHEN :set_completed_at THEN :completed_at ELSE completed_at END,
    duration = CASE WHEN :set_duration THEN :duration ELSE duration END,
    input_data = CASE WHEN :set_input_data THEN :input_data ELSE input_data END,
    output_data = CASE WHEN :set_output_data THEN :output_data ELSE output_data END,
    config = CASE WHEN :set_config THEN :config ELSE config END,
    suspended_state = CASE WHEN :set_suspended_state THEN :suspended_state ELSE suspended_state END,
    resume_data = CASE WHEN :set_resume_data THEN :resume_data ELSE resume_data END,
    next_poll_at = CASE WHEN :set_next_poll_at THEN :next_poll_at ELSE next_poll_at END,
    poll_interval = CASE WHEN :set_poll_interval THEN :poll_interval ELSE poll_interval END,
    max_wait_until = CASE WHEN :set_max_wait_until THEN :max_wait_until ELSE max_wait_until END,
    metrics = CASE WHEN :set_metrics THEN :metrics ELSE metrics END,
    embedding_info = CASE WHEN :set_embedding_info THEN :embedding_info ELSE embedding_info END,
    error_message = CASE WHEN :set_error_message THEN :error_message ELSE error_message END,
    version = version + 1, updated_at = UTC_TIMESTAMP(6)
WHERE tenant_id = :tenant_id AND workflow_run_id = :run_id AND stage_id = :stage_id
  AND (:expected_version IS NULL OR version = :expected_version)

-- name: stages_by_run_asc
-- A run's stages by (execution_group, stage_number, id), optionally of one status.
SELECT id, created_at, updated_at, workflow_run_id, stage_id, stage_name, stage_number, execution_group, status,
    attempt, started_at, completed_at, duration, input_data, output_data, config, suspended_state, resume_data,
    next_poll_at, poll_interval, max_wait_until, metrics, embedding_info, error_message, version
FROM rs_workflow_stages WHERE tenant_id = :tenant_id AND workflow_run_id = :run_id
  AND (:status IS NULL OR status = :status)
ORDER BY execution_group, stage_number, id

-- name: stages_by_run_desc
SELECT id, created_at, updated_at, workflow_run_id, stage_id, stage_name, stage_number, execution_group, status,
    attempt, started_at, completed_at, duration, input_data, output_data, config, suspended_state, resume_data,
    next_poll_at, poll_interval, max_wait_until, metrics, embedding_info, error_message, version
FROM rs_workflow_stages WHERE tenant_id = :tenant_id AND workflow_run_id = :run_id
  AND (:status IS NULL OR status = :status)
ORDER BY execution_group DESC, stage_number DESC, id DESC

-- name: suspended_stages
-- SUSPENDED stages of every run due at :before (the database's clock when NULL), soonest first.
SELECT id, created_at, updated_at, workflow_run_id, stage_id, stage_name, stage_number, execution_group, status,
    attempt, started_at, completed_at, duration, input_data, output_data, config, suspended_state, resume_data,
    next_poll_at, poll_interval, max_wait_until, metrics, embedding_info, error_message, version
FROM rs_workflow_stages WHERE tenant_id = :tenant_id AND status = 'SUSPENDED'
  AND next_poll_at <= coalesce(:before, UTC_TIMESTAMP(6))
ORDER BY next_poll_at, id LIMIT :limit

-- name: first_resumable_stage
-- The SUSPENDED stage with no next poll in the lowest (execution_group, stage_number) of a run.
SELECT id, created_at, updated_at, workflow_run_id, stage_id, stage_name, stage_number, execution_group, status,
    attempt, started_at, completed_at, duration, input_data, output_data, config, suspended_state, resume_data,
    next_poll_at, poll_interval, max_wait_until, metrics, embedding_info, error_message, version
FROM rs_workflow_stages WHERE tenant_id = :tenant_id AND workflow_run_id = :run_id
  AND status = 'SUSPENDED' AND next_poll_at IS NULL
ORDER BY execution_group, stage_number, id LIMIT 1

-- name: first_failed_stage
SELECT id, created_at, updated_at, workflow_run_id, stage_id, stage_name, stage_number, execution_group, status,
    attempt, started_at, completed_at, duration, input_data, output_data, config, suspended_state, resume_data,
    next_poll_at, poll_interval, max_wait_until, metrics, embedding_info, error_message, version
FROM rs_workflow_stages WHERE tenant_id = :tenant_id AND workflow_run_id = :run_id AND status = 'FAILED'
ORDER BY execution_group, stage_number, id LIMIT 1

-- name: last_completed_stage
SELECT id, created_at, updated_at, workflow_run_id, stage_id, stage_name, stage_number, execution_group, status,
    attempt, started_at, completed_at, duration, input_data, output_data, config, suspended_state, resume_data,
    next_poll_at, poll_interval, max_wait_until, metrics, embedding_info, error_message, version
FROM rs_workflow_stages WHERE tenant_id = :tenant_id AND workflow_run_id = :run_id AND status = 'COMPLETED'
ORDER BY execution_group DESC, stage_number DESC, id DESC LIMIT 1

-- name: last_completed_stage_before
-- The latest COMPLETED stage in a group strictly before :execution_group.
SELECT id, created_at, updated_at, workflow_run_id, stage_id, stage_name, stage_number, execution_group, status,
    attempt, started_at, completed_at, duration, input_data, output_data, config, suspended_state, resume_data,
    next_poll_at, poll_interval, max_wait_until, metrics, embedding_info, error_message, version
FROM rs_workflow_stages WHERE tenant_id = :tenant_id AND workflow_run_id = :run_id AND status = 'COMPLETED'
  AND execution_group < :execution_group
ORDER BY execution_group DESC, stage_number DESC, id DESC LIMIT 1

-- name: delete_stage
-- Delete a stage (its log lines go with it through their foreign key).
DELETE FROM rs_workflow_stages WHERE tenant_id = :tenant_id AND id = :id

-- name: unlink_stage_artifacts
-- Clear the stage link of a deleted stage's artifacts.
UPDATE rs_workflow_artifacts SET workflow_stage_id = NULL
WHERE tenant_id = :tenant_id AND workflow_stage_id = :id

-- name: stage_row_id
-- The row id of the stage (run, stage_id).
SELECT id FROM rs_workflow_stages
WHERE tenant_id = :tenant_id AND workflow_run_id = :run_id AND stage_id = :stage_id

-- name: clock
-- The database's current time, for a batch whose fastest insert form takes only parameters.
SELECT UTC_TIMESTAMP(6) AS now WHERE :tenant_id IS NOT NULL

-- name: insert_log
INSERT INTO rs_workflow_logs (tenant_id, id, workflow_run_id, workflow_stage_id, level, message, metadata, created_at)
VALUES (:tenant_id, :id, :workflow_run_id, :workflow_stage_id, :level, :message, :metadata, UTC_TIMESTAMP(6))
RETURNING id, created_at, workflow_run_id, workflow_stage_id, level, message, metadata

-- name: insert_logs
-- Insert a batch of log lines (the driver sends one multi-row INSERT,
-- which takes only plain parameters: created_at comes from `clock`).
INSERT INTO rs_workflow_logs (tenant_id, id, workflow_run_id, workflow_stage_id, level, message, metadata, created_at)
VALUES (:tenant_id, :id, :workflow_run_id, :workflow_stage_id, :level, :message, :metadata, :created_at)

-- name: run_logs
-- A run's log lines oldest first, optionally of one level.
SELECT id, created_at, workflow_run_id, workflow_stage_id, level, message, metadata
FROM rs_workflow_logs WHERE tenant_id = :tenant_id AND workflow_run_id = :run_id
  AND (:level IS NULL OR level = :level)
ORDER BY created_at, id LIMIT :limit

-- name: stage_logs
-- The log lines of the stage (run, stage_id) oldest first, optionally of one level.
SELECT id, created_at, workflow_run_id, workflow_stage_id, level, message, metadata
FROM rs_workflow_logs WHERE tenant_id = :tenant_id AND workflow_stage_id = (
    SELECT id FROM rs_workflow_stages
    WHERE tenant_id = :tenant_id AND workflow_run_id = :run_id AND stage_id = :stage_id)
  AND (:level IS NULL OR level = :level)
ORDER BY created_at, id LIMIT :limit

-- name: save_artifact
-- Insert or replace the artifact (run, key): stage link, type, data, size and metadata; id and created_at are kept.
-- Nothing is written (no row returned) when :workflow_stage_id is not a stage of the run.
-- The stage link is checked here (and locked against a concurrent delete_stage where needed): only PostgreSQL
-- can make it a foreign key.
INSERT INTO rs_workflow_artifacts (tenant_id, id, workflow_run_id, workflow_stage_id, `key`, type, data, size,
    metadata, created_at, updated_at)
SELECT :tenant_id, :id, :workflow_run_id, :workflow_stage_id, :key, :type, :data, :size,
    :metadata, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)
WHERE :workflow_stage_id IS NULL OR EXISTS (
    SELECT 1 FROM rs_workflow_stages
    WHERE tenant_id = :tenant_id AND id = :workflow_stage_id AND workflow_run_id = :workflow_run_id
    LOCK IN SHARE MODE)
ON DUPLICATE KEY UPDATE
    workflow_stage_id = VALUES(workflow_stage_id), type = VALUES(type), data = VALUES(data), size = VALUES(size),
    metadata = VALUES(metadata), updated_at = UTC_TIMESTAMP(6)
RETURNING id, created_at, updated_at, workflow_run_id, workflow_stage_id, `key`, type, data, size, metadata

-- name: save_stage_output
-- Upsert a STAGE_OUTPUT artifact linked to the stage (run, stage_id) when that stage exists, in one statement.
INSERT INTO rs_workflow_artifacts (tenant_id, id, workflow_run_id, workflow_stage_id, `key`, type, data, size,
    metadata, created_at, updated_at)
SELECT :tenant_id, :id, :workflow_run_id, (
        SELECT id FROM rs_workflow_stages
        WHERE tenant_id = :tenant_id AND workflow_run_id = :workflow_run_id AND stage_id = :stage_id
        LOCK IN SHARE MODE),
    :key, 'STAGE_OUTPUT', :data, :size, NULL, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)
WHERE 1 = 1
ON DUPLICATE KEY UPDATE
    workflow_stage_id = VALUES(workflow_stage_id), type = VALUES(type), data = VALUES(data), size = VALUES(size),
    updated_at = UTC_TIMESTAMP(6)

-- name: load_artifact
SELECT data FROM rs_workflow_artifacts
WHERE tenant_id = :tenant_id AND workflow_run_id = :run_id AND `key` = :key

-- name: has_artifact
SELECT 1 FROM rs_workflow_artifacts
WHERE tenant_id = :tenant_id AND workflow_run_id = :run_id AND `key` = :key

-- name: delete_artifact
DELETE FROM rs_workflow_artifacts WHERE tenant_id = :tenant_id AND workflow_run_id = :run_id AND `key` = :key

-- name: list_artifacts
-- A run's artifacts by key.
SELECT id, created_at, updated_at, workflow_run_id, workflow_stage_id, `key`, type, data, size, metadata
FROM rs_workflow_artifacts WHERE tenant_id = :tenant_id AND workflow_run_id = :run_id ORDER BY `key`
