-- rawstore studio (read-only web UI): indexes for its operations pages, so that each page reads one index range in
-- order. Every object is prefixed rs_; tenant_id leads every key.
-- - rs_workflow_runs_type_idx: the workflow runs list filtered by type (and status), newest first. The unfiltered
--   list and the status filter read rs_workflow_runs_status_idx (the unfiltered one merges its seven status ranges).
-- - rs_jobs_failed_idx: failed jobs, newest first. Partial on FAILED: enqueues, claims and completions never write
--   it (a job enters it once, when it fails for good), so the queue's hot path pays nothing for it.
-- - rs_ai_calls_created_idx: AI call cost and tokens per model per day over the last days, read from the index alone
--   (the INCLUDE columns), so the chart costs the calls of its window and no table reads.
CREATE INDEX rs_workflow_runs_type_idx ON rs_workflow_runs (tenant_id, workflow_type, status, created_at, id);
CREATE INDEX rs_jobs_failed_idx ON rs_jobs (tenant_id, updated_at, id) WHERE status = 'FAILED';
CREATE INDEX rs_ai_calls_created_idx ON rs_ai_calls (tenant_id, created_at)
    INCLUDE (model_key, input_tokens, output_tokens, cost_nanos);
