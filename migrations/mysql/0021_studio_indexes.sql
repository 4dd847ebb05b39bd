-- rawstore studio (read-only web UI): indexes for its operations pages, so that each page reads one index range in
-- order. Every object is prefixed rs_; tenant_id leads every key. MariaDB commits each DDL statement, so each
-- index is added IF NOT EXISTS: a migration cut off half-way applies cleanly when run again. Both are online
-- (ALGORITHM=INPLACE, LOCK=NONE): writers are not blocked while the index builds.
-- - rs_workflow_runs_type_idx: the workflow runs list filtered by type (and status), newest first. The unfiltered
--   list and the status filter read rs_workflow_runs_status_idx (the unfiltered one merges its seven status ranges).
-- - rs_ai_calls_created_idx: AI call cost and tokens per model per day over the last days, covering (the chart
--   reads the index alone).
-- No failed-jobs index here (PostgreSQL and SQLite get a partial one): without partial indexes it would lead with
-- status and be rewritten by every claim and completion, the cost migration 0012 removed. The studio reads failed
-- jobs through rs_jobs_claim_idx's (tenant_id, 'FAILED') range instead, which `jobs.prune` keeps to the retention
-- window.
ALTER TABLE rs_workflow_runs
    ADD KEY IF NOT EXISTS rs_workflow_runs_type_idx (tenant_id, workflow_type, status, created_at, id);
ALTER TABLE rs_ai_calls
    ADD KEY IF NOT EXISTS rs_ai_calls_created_idx (tenant_id, created_at, model_key, input_tokens, output_tokens, cost_nanos);
