-- name: insert_run
-- Insert a PENDING run (version 1, timestamps from the database clock); a duplicate id is a unique violation.
INSERT INTO {schema}rs_workflow_runs (tenant_id, id, workflow_id, workflow_name, workflow_type, status, priority,
    input,
    config, total_cost, total_tokens, metadata, version, created_at, updated_at)
VALUES (:tenant_id, :id, :workflow_id, :workflow_name, :workflow_type, 'PENDING', :priority, :input::jsonb,
    :config::jsonb, 0, 0, :metadata::jsonb, 1, now(), now())
RETURNING id, created_at, updated_at, workflow_id, workflow_name, workflow_type, status, started_at, completed_at,
    duration, input::text, output::text, config::text, total_cost, total_tokens, priority, metadata::text, version

-- name: get_run
SELECT id, created_at, updated_at, workflow_id, workflow_name, workflow_type, status, started_at, completed_at,
    duration, input::text, output::text, config::text, total_cost, total_tokens, priority, metadata::text, version
FROM {schema}rs_workflow_runs WHERE tenant_id = :tenant_id AND id = :id

-- name: get_run_status
SELECT status FROM {schema}rs_workflow_runs WHERE tenant_id = :tenant_id AND id = :id

-- name: runs_by_status
-- Runs in one status, oldest first.
SELECT id, created_at, updated_at, workflow_id, workflow_name, workflow_type, status, started_at, completed_at,
    duration, input::text, output::text, config::text, total_cost, total_tokens, priority, metadata::text, version
FROM {schema}rs_workflow_runs WHERE tenant_id = :tenant_id AND status = :status
ORDER BY created_at, id LIMIT :limit

-- name: update_run
-- Set every field whose set_<field> flag is true, bump version and updated_at; with :expected_version, only
-- while the stored version still equals it.
UPDATE {schema}rs_workflow_runs SET
    workflow_id = CASE WHEN :set_workflow_id::boolean THEN :workflow_id::text ELSE workflow_id END,
    workflow_name = CASE WHEN :set_workflow_name::boolean THEN :workflow_name::text ELSE workflow_name END,
    workflow_type = CASE WHEN :set_workflow_type::boolean THEN :workflow_type::text ELSE workflow_type END,
    status = CASE WHEN :set_status::boolean THEN :status::text ELSE status END,
    started_at = CASE WHEN :set_started_at::boolean THEN :started_at::timestamptz ELSE started_at END,
    completed_at = CASE WHEN :set_completed_at::boolean THEN :completed_at::timestamptz ELSE completed_at END,
    duration = CASE WHEN :set_duration::boolean THEN :duration::bigint ELSE duration END,
    input = CASE WHEN :set_input::boolean THEN :input::jsonb ELSE input END,
    output = CASE WHEN :set_output::boolean THEN :output::jsonb ELSE output END,
    config = CASE WHEN :set_config::boolean THEN :config::jsonb ELSE config END,
    total_cost = CASE WHEN :set_total_cost::boolean THEN :total_cost::float8 ELSE total_cost END,
    total_tokens = CASE WHEN :set_total_tokens::boolean THEN :total_tokens::bigint ELSE total_tokens END,
    priority = CASE WHEN :set_priority::boolean THEN :priority::integer ELSE priority END,
    metadata = CASE WHEN :set_metadata::boolean THEN :metadata::jsonb ELSE metadata END,
    version = version + 1, updated_at = now()
WHERE tenant_id = :tenant_id AND id = :id AND (:expected_version::bigint IS NULL OR version = :expected_version)

-- name: claim_run
-- Claim one PENDING run: RUNNING, started now, version + 1. Zero rows changed: missing or not PENDING.
UPDATE {schema}rs_workflow_runs SET status = 'RUNNING', started_at = now(), version = version + 1, updated_at = now()
WHERE tenant_id = :tenant_id AND id = :id AND status = 'PENDING'

-- name: claim_next_run
-- Claim the next PENDING run (priority DESC, then oldest) in one statement; SKIP LOCKED lets concurrent claimers
-- take different runs. NO KEY UPDATE is the lock the UPDATE itself takes: inserts of stages, logs or jobs that
-- reference the run (their foreign-key checks take KEY SHARE) do not wait for it.
-- The row has get_run's columns, in its order: rawstore decodes it with get_run's decoder.
UPDATE {schema}rs_workflow_runs SET status = 'RUNNING', started_at = now(), version = version + 1, updated_at = now()
WHERE tenant_id = :tenant_id AND status = 'PENDING' AND id = (
    SELECT id FROM {schema}rs_workflow_runs WHERE tenant_id = :tenant_id AND status = 'PENDING'
    ORDER BY priority DESC, created_at, id LIMIT 1 FOR NO KEY UPDATE SKIP LOCKED)
RETURNING id, created_at, updated_at, workflow_id, workflow_name, workflow_type, status, started_at, completed_at,
    duration, input::text, output::text, config::text, total_cost, total_tokens, priority, metadata::text, version

-- name: insert_stage
-- Insert a stage (version 1); a duplicate (run, stage_id) is a unique violation, a missing run a foreign-key one.
INSERT INTO {schema}rs_workflow_stages (tenant_id, id, workflow_run_id, stage_id, stage_name, stage_number,
    execution_group, status, attempt, started_at, completed_at, duration, input_data, output_data, config,
    suspended_state, resume_data, next_poll_at, poll_interval, max_wait_until, metrics, embedding_info, error_message,
    version, created_at, updated_at)
VALUES (:tenant_id, :id, :workflow_run_id, :stage_id, :stage_name, :stage_number, :execution_group, :status, :attempt,
    :started_at::timestamptz, :completed_at::timestamptz, :duration, :input_data::jsonb, :output_data::jsonb,
    :config::jsonb, :suspended_state::jsonb, :resume_data::jsonb, :next_poll_at::timestamptz, :poll_interval,
    :max_wait_until::timestamptz, :metrics::jsonb, :embedding_info::jsonb, :error_message, 1, now(), now())
RETURNING id, created_at, updated_at, workflow_run_id, stage_id, stage_name, stage_number, execution_group, status,
    attempt, started_at, completed_at, duration, input_data::text, output_data::text, config::text,
    suspended_state::text, resume_data::text, next_poll_at, poll_interval, max_wait_until, metrics::text,
    embedding_info::text, error_message, version

-- name: upsert_stage
-- Insert a stage, or on an existing (run, stage_id) set name, number and group plus every field whose set_<field>
-- flag is true, bumping version and updated_at. Returns the stored row.
INSERT INTO {schema}rs_workflow_stages AS s (tenant_id, id, workflow_run_id, stage_id, stage_name, stage_number,
    execution_group, status, attempt, started_at, completed_at, duration, input_data, output_data, config,
    suspended_state, resume_data, next_poll_at, poll_interval, max_wait_until, metrics, embedding_info, error_message,
    version, created_at, updated_at)
VALUES (:tenant_id, :id, :workflow_run_id, :stage_id, :stage_name, :stage_number, :execution_group, :status, :attempt,
    :started_at::timestamptz, :completed_at::timestamptz, :duration, :input_data::jsonb, :output_data::jsonb,
    :config::jsonb, :suspended_state::jsonb, :resume_data::jsonb, :next_poll_at::timestamptz, :poll_interval,
    :max_wait_until::timestamptz, :metrics::jsonb, :embedding_info::jsonb, :error_message, 1, now(), now())
ON CONFLICT (tenant_id, workflow_run_id, stage_id) DO UPDATE SET
    stage_name = excluded.stage_name, stage_number = excluded.stage_number,
        execution_group = excluded.execution_group,
    status = CASE WHEN :set_status::boolean THEN excluded.status ELSE s.status END,
    attempt = CASE WHEN :set_attempt::boolean THEN excluded.attempt ELSE s.attempt END,
    started_at = CASE WHEN :set_started_at::boolean THEN excluded.started_at ELSE s.started_at END,
    completed_at = CASE WHEN :set_completed_at::boolean THEN excluded.completed_at ELSE s.completed_at END,
    duration = CASE WHEN :set_duration::boolean THEN excluded.duration ELSE s.duration END,
    input_data = CASE WHEN :set_input_data::boolean THEN excluded.input_data ELSE s.input_data END,
    output_data = CASE WHEN :set_output_data::boolean THEN excluded.output_data ELSE s.output_data END,
    config = CASE WHEN :set_config::boolean THEN excluded.config ELSE s.config END,
    suspended_state = CASE WHEN :set_suspended_state::boolean
        THEN excluded.suspended_state ELSE s.suspended_state END,
    resume_data = CASE WHEN :set_resume_data::boolean THEN excluded.resume_data ELSE s.resume_data END,
    next_poll_at = CASE WHEN :set_next_poll_at::boolean THEN excluded.next_poll_at ELSE s.next_poll_at END,
    poll_interval = CASE WHEN :set_poll_interval::boolean THEN excluded.poll_interval ELSE s.poll_interval END,
    max_wait_until = CASE WHEN :set_max_wait_until::boolean THEN excluded.max_wait_until ELSE s.max_wait_until END,
    metrics = CASE WHEN :set_metrics::boolean THEN excluded.metrics ELSE s.metrics END,
    embedding_info = CASE WHEN :set_embedding_info::boolean THEN excluded.embedding_info ELSE s.embedding_info END,
    error_message = CASE WHEN :set_error_message::boolean THEN excluded.error_message ELSE s.error_message END,
    version = s.version + 1, updated_at = now()
RETURNING id, created_at, updated_at, workflow_run_id, stage_id, stage_name, stage_number, execution_group, status,
    attempt, started_at, completed_at, duration, input_data::text, output_data::text, config::text,
    suspended_state::text, resume_data::text, next_poll_at, poll_interval, max_wait_until, metrics::text,
    embedding_info::text, error_message, version

-- name: get_stage
SELECT id, created_at, updated_at, workflow_run_id, stage_id, stage_name, stage_number, execution_group, status,
    attempt, started_at, completed_at, duration, input_data::text, output_data::text, config::text,
    suspended_state::text, resume_data::text, next_poll_at, poll_interval, max_wait_until, metrics::text,
    embedding_info::text, error_message, version
FROM {schema}rs_workflow_stages WHERE tenant_id = :tenant_id AND workflow_run_id = :run_id AND stage_id = :stage_id

-- name: get_stage_by_id
SELECT id, created_at, updated_at, workflow_run_id, stage_id, stage_name, stage_number, execution_group, status,
    attempt, started_at, completed_at, duration, input_data::text, output_data::text, config::text,
    suspended_state::text, resume_data::text, next_poll_at, poll_interval, max_wait_until, metrics::text,
    embedding_info::text, error_message, version
FROM {schema}rs_workflow_stages WHERE tenant_id = :tenant_id AND id = :id

-- name: update_stage
-- Set every field whose set_<field> flag is true, bump version and updated_at (optionally only at :expected_version).
UPDATE {schema}rs_workflow_stages SET
    stage_name = CASE WHEN :set_stage_name::boolean THEN :stage_name::text ELSE stage_name END,
    stage_number = CASE WHEN :set_stage_number::boolean THEN :stage_number::integer ELSE stage_number END,
    execution_group = CASE WHEN :set_execution_group::boolean THEN :execution_group::integer ELSE execution_group END,
    status = CASE WHEN :set_status::boolean THEN :status::text ELSE status END,
    attempt = CASE WHEN :set_attempt::boolean THEN :attempt::integer ELSE attempt END,
    started_at = CASE WHEN :set_started_at::boolean THEN :started_at::timestamptz ELSE started_at END,
    completed_at = CASE WHEN :set_completed_at::boolean THEN :completed_at::timestamptz ELSE completed_at END,
    duration = CASE WHEN :set_duration::boolean THEN :duration::bigint ELSE duration END,
    input_data = CASE WHEN :set_input_data::boolean THEN :input_data::jsonb ELSE input_data END,
    output_data = CASE WHEN :set_output_data::boolean THEN :output_data::jsonb ELSE output_data END,
    config = CASE WHEN :set_config::boolean THEN :config::jsonb ELSE config END,
    suspended_state = CASE WHEN :set_suspended_state::boolean THEN :suspended_state::jsonb ELSE suspended_state END,
    resume_data = CASE WHEN :set_resume_data::boolean THEN :resume_data::jsonb ELSE resume_data END,
    next_poll_at = CASE WHEN :set_next_poll_at::boolean THEN :next_poll_at::timestamptz ELSE next_poll_at END,
    poll_interval = CASE WHEN :set_poll_interval::boolean THEN :poll_interval::bigint ELSE poll_interval END,
    max_wait_until = CASE WHEN :set_max_wait_until::boolean THEN :max_wait_until::timestamptz ELSE max_wait_until END,
    metrics = CASE WHEN :set_metrics::boolean THEN :metrics::jsonb ELSE metrics END,
    embedding_info = CASE WHEN :set_embedding_info::boolean THEN :embedding_info::jsonb ELSE embedding_info END,
    error_message = CASE WHEN :set_error_message::boolean THEN :error_message::text ELSE error_message END,
    version = version + 1, updated_at = now()
WHERE tenant_id = :tenant_id AND id = :id AND (:expected_version::bigint IS NULL OR version = :expected_version)

-- name: update_stage_by_key
-- update_stage for the stage found by (run, stage_id).
UPDATE {schema}rs_workflow_stages SET
    stage_name = CASE WHEN :set_stage_name::boolean THEN :stage_name::text ELSE stage_name END,
    stage_number = CASE WHEN :set_stage_number::boolean THEN :stage_number::integer ELSE stage_number END,
    execution_group = CASE WHEN :set_execution_group::boolean THEN :execution_group::integer ELSE execution_group END,
    status = CASE WHEN :set_status::boolean THEN :status::text ELSE status END,
    attempt = CASE WHEN :set_attempt::boolean THEN :attempt::integer ELSE attempt END,
    started_at = CASE WHEN :set_started_at::boolean THEN :started_at::timestamptz ELSE started_at END,
    completed_at = CASE WHEN :set_completed_at::boolean THEN :completed_at::timestamptz ELSE completed_at END,
    duration = CASE WHEN :set_duration::boolean THEN :duration::bigint ELSE duration END,
    input_data = CASE WHEN :set_input_data::boolean THEN :input_data::jsonb ELSE input_data END,
    output_data = CASE WHEN :set_output_data::boolean THEN :output_data::jsonb ELSE output_data END,
    config = CASE WHEN :set_config::boolean THEN :config::jsonb ELSE config END,
    suspended_state = CASE WHEN :set_suspended_state::boolean THEN :suspended_state::jsonb ELSE suspended_state END,
    resume_data = CASE WHEN :set_resume_data::boolean THEN :resume_data::jsonb ELSE resume_data END,
    next_poll_at = CASE WHEN :set_next_poll_at::boolean THEN :next_poll_at::timestamptz ELSE next_poll_at END,
    poll_interval = CASE WHEN :set_poll_interval::boolean THEN :poll_interval::bigint ELSE poll_interval END,
    max_wait_until = CASE WHEN :set_max_wait_until::boolean THEN :max_wait_until::timestamptz ELSE max_wait_until END,
    metrics = CASE WHEN :set_metrics::boolean THEN :metrics::jsonb ELSE metrics END,
    embedding_info = CASE WHEN :set_embedding_info::boolean THEN :embedding_info::jsonb ELSE embedding_info END,
    error_message = CASE WHEN :set_error_message::boolean THEN :error_message::text ELSE error_message END,
    version = version + 1, updated_at = now()
WHERE tenant_id = :tenant_id AND workflow_run_id = :run_id AND stage_id = :stage_id
  AND (:expected_version::bigint IS NULL OR version = :expected_version)

-- name: stages_by_run_asc
-- A run's stages by (execution_group, stage_number, id), optionally of one status.
SELECT id, created_at, updated_at, workflow_run_id, stage_id, stage_name, stage_number, execution_group, status,
    attempt, started_at, completed_at, duration, input_data::text, output_data::text, config::text,
    suspended_state::text, resume_data::text, next_poll_at, poll_interval, max_wait_until, metrics::text,
    embedding_info::text, error_message, version
FROM {schema}rs_workflow_stages WHERE tenant_id = :tenant_id AND workflow_run_id = :run_id
  AND (:status::text IS NULL OR status = :status)
ORDER BY execution_group, stage_number, id

-- name: stages_by_run_desc
SELECT id, created_at, updated_at, workflow_run_id, stage_id, stage_name, stage_number, execution_group, status,
    attempt, started_at, completed_at, duration, input_data::text, output_data::text, config::text,
    suspended_state::text, resume_data::text, next_poll_at, poll_interval, max_wait_until, metrics::text,
    embedding_info::text, error_message, version
FROM {schema}rs_workflow_stages WHERE tenant_id = :tenant_id AND workflow_run_id = :run_id
  AND (:status::text IS NULL OR status = :status)
ORDER BY execution_group DESC, stage_number DESC, id DESC

-- name: suspended_stages
-- SUSPENDED stages of every run due at :before (the database's clock when NULL), soonest first.
SELECT id, created_at, updated_at, workflow_run_id, stage_id, stage_name, stage_number, execution_group, status,
    attempt, started_at, completed_at, duration, input_data::text, output_data::text, config::text,
    suspended_state::text, resume_data::text, next_poll_at, poll_interval, max_wait_until, metrics::text,
    embedding_info::text, error_message, version
FROM {schema}rs_workflow_stages WHERE tenant_id = :tenant_id AND status = 'SUSPENDED'
  AND next_poll_at <= coalesce(:before::timestamptz, now())
ORDER BY next_poll_at, id LIMIT :limit

-- name: first_resumable_stage
-- The SUSPENDED stage with no next poll in the lowest (execution_group, stage_number) of a run.
SELECT id, created_at, updated_at, workflow_run_id, stage_id, stage_name, stage_number, execution_group, status,
    attempt, started_at, completed_at, duration, input_data::text, output_data::text, config::text,
    suspended_state::text, resume_data::text, next_poll_at, poll_interval, max_wait_until, metrics::text,
    embedding_info::text, error_message, version
FROM {schema}rs_workflow_stages WHERE tenant_id = :tenant_id AND workflow_run_id = :run_id
  AND status = 'SUSPENDED' AND next_poll_at IS NULL
ORDER BY execution_group, stage_number, id LIMIT 1

-- name: first_failed_stage
SELECT id, created_at, updated_at, workflow_run_id, stage_id, stage_name, stage_number, execution_group, status,
    attempt, started_at, completed_at, duration, input_data::text, output_data::text, config::text,
    suspended_state::text, resume_data::text, next_poll_at, poll_interval, max_wait_until, metrics::text,
    embedding_info::text, error_message, version
FROM {schema}rs_workflow_stages WHERE tenant_id = :tenant_id AND workflow_run_id = :run_id AND status = 'FAILED'
ORDER BY execution_group, stage_number, id LIMIT 1

-- name: last_completed_stage
SELECT id, created_at, updated_at, workflow_run_id, stage_id, stage_name, stage_number, execution_group, status,
    attempt, started_at, completed_at, duration, input_data::text, output_data::text, config::text,
    suspended_state::text, resume_data::text, next_poll_at, poll_interval, max_wait_until, metrics::text,
    embedding_info::text, error_message, version
FROM {schema}rs_workflow_stages WHERE tenant_id = :tenant_id AND workflow_run_id = :run_id AND status = 'COMPLETED'
ORDER BY execution_group DESC, stage_number DESC, id DESC LIMIT 1

-- name: last_completed_stage_before
-- The latest COMPLETED stage in a group strictly before :execution_group.
SELECT id, created_at, updated_at, workflow_run_id, stage_id, stage_name, stage_number, execution_group, status,
    attempt, started_at, completed_at, duration, input_data::text, output_data::text, config::text,
    suspended_state::text, resume_data::text, next_poll_at, poll_interval, max_wait_until, metrics::text,
    embedding_info::text, error_message, version
FROM {schema}rs_workflow_stages WHERE tenant_id = :tenant_id AND workflow_run_id = :run_id AND status = 'COMPLETED'
  AND execution_group < :execution_group
ORDER BY execution_group DESC, stage_number DESC, id DESC LIMIT 1

-- name: delete_stage
-- Delete a stage (its log lines go with it through their foreign key).
DELETE FROM {schema}rs_workflow_stages WHERE tenant_id = :tenant_id AND id = :id

-- name: unlink_stage_artifacts
-- Clear the stage link of a deleted stage's artifacts.
UPDATE {schema}rs_workflow_artifacts SET workflow_stage_id = NULL
WHERE tenant_id = :tenant_id AND workflow_stage_id = :id

-- name: stage_row_id
-- The row id of the stage (run, stage_id).
SELECT id FROM {schema}rs_workflow_stages
WHERE tenant_id = :tenant_id AND workflow_run_id = :run_id AND stage_id = :stage_id

-- name: clock
-- The database's current time, for a batch whose fastest insert form takes only parameters.
SELECT now() AS now WHERE :tenant_id::text IS NOT NULL

-- name: insert_log
INSERT INTO {schema}rs_workflow_logs (tenant_id, id, workflow_run_id, workflow_stage_id, level, message, metadata,
    created_at)
VALUES (:tenant_id, :id, :workflow_run_id, :workflow_stage_id, :level, :message, :metadata::jsonb, now())
RETURNING id, created_at, workflow_run_id, workflow_stage_id, level, message, metadata::text

-- name: insert_logs[]
-- Insert a batch of log lines from column arrays (one round trip).
INSERT INTO {schema}rs_workflow_logs (tenant_id, id, workflow_run_id, workflow_stage_id, level, message, metadata,
    created_at)
SELECT t, i, r, s, l, m, md::jsonb, c
FROM unnest(:tenant_id::text[], :id::text[], :workflow_run_id::text[], :workflow_stage_id::text[], :level::text[],
            :message::text[], :metadata::text[], :created_at::timestamptz[]) AS u(t, i, r, s, l, m, md, c)

-- name: run_logs
-- A run's log lines oldest first, optionally of one level.
SELECT id, created_at, workflow_run_id, workflow_stage_id, level, message, metadata::text
FROM {schema}rs_workflow_logs WHERE tenant_id = :tenant_id AND workflow_run_id = :run_id
  AND (:level::text IS NULL OR level = :level)
ORDER BY created_at, id LIMIT :limit

-- name: stage_logs
-- The log lines of the stage (run, stage_id) oldest first, optionally of one level.
SELECT id, created_at, workflow_run_id, workflow_stage_id, level, message, metadata::text
FROM {schema}rs_workflow_logs WHERE tenant_id = :tenant_id AND workflow_stage_id = (
    SELECT id FROM {schema}rs_workflow_stages
    WHERE tenant_id = :tenant_id AND workflow_run_id = :run_id AND stage_id = :stage_id)
  AND (:level::text IS NULL OR level = :level)
ORDER BY created_at, id LIMIT :limit

-- name: save_artifact
-- Insert or replace the artifact (run, key): stage link, type, data, size and metadata; id and created_at are kept.
-- Nothing is written (no row returned) when :workflow_stage_id is not a stage of the run.
INSERT INTO {schema}rs_workflow_artifacts (tenant_id, id, workflow_run_id, workflow_stage_id, "key", type, data, size,
    metadata, created_at, updated_at)
SELECT :tenant_id, :id, :workflow_run_id, :workflow_stage_id::text, :key, :type, :data::jsonb, :size,
    :metadata::jsonb, now(), now()
WHERE :workflow_stage_id::text IS NULL OR EXISTS (
    SELECT 1 FROM {schema}rs_workflow_stages
    WHERE tenant_id = :tenant_id AND id = :workflow_stage_id AND workflow_run_id = :workflow_run_id)
ON CONFLICT (tenant_id, workflow_run_id, "key") DO UPDATE SET
    workflow_stage_id = excluded.workflow_stage_id, type = excluded.type, data = excluded.data, size = excluded.size,
    metadata = excluded.metadata, updated_at = now()
RETURNING id, created_at, updated_at, workflow_run_id, workflow_stage_id, "key", type, data::text, size,
    metadata::text

-- name: save_stage_output
-- Upsert a STAGE_OUTPUT artifact linked to the stage (run, stage_id) when that stage exists, in one statement.
INSERT INTO {schema}rs_workflow_artifacts (tenant_id, id, workflow_run_id, workflow_stage_id, "key", type, data, size,
    metadata, created_at, updated_at)
SELECT :tenant_id, :id, :workflow_run_id, (
        SELECT id FROM {schema}rs_workflow_stages
        WHERE tenant_id = :tenant_id AND workflow_run_id = :workflow_run_id AND stage_id = :stage_id),
    :key, 'STAGE_OUTPUT', :data::jsonb, :size, NULL, now(), now()
WHERE 1 = 1
ON CONFLICT (tenant_id, workflow_run_id, "key") DO UPDATE SET
    workflow_stage_id = excluded.workflow_stage_id, type = excluded.type, data = excluded.data, size = excluded.size,
    updated_at = now()

-- name: load_artifact
SELECT data::text FROM {schema}rs_workflow_artifacts
WHERE tenant_id = :tenant_id AND workflow_run_id = :run_id AND "key" = :key

-- name: has_artifact
SELECT 1 FROM {schema}rs_workflow_artifacts
WHERE tenant_id = :tenant_id AND workflow_run_id = :run_id AND "key" = :key

-- name: delete_artifact
DELETE FROM {schema}rs_workflow_artifacts WHERE tenant_id = :tenant_id AND workflow_run_id = :run_id AND "key" = :key

-- name: list_artifacts
-- A run's artifacts by key.
SELECT id, created_at, updated_at, workflow_run_id, workflow_stage_id, "key", type, data::text, size, metadata::text
FROM {schema}rs_workflow_artifacts WHERE tenant_id = :tenant_id AND workflow_run_id = :run_id ORDER BY "key"
