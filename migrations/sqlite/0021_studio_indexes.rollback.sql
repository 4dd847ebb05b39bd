DROP INDEX IF EXISTS rs_ai_calls_created_idx;
DROP INDEX IF EXISTS rs_jobs_failed_idx;
DROP INDEX IF EXISTS rs_workflow_runs_type_idx;
