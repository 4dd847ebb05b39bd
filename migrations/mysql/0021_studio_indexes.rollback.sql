ALTER TABLE rs_ai_calls DROP KEY IF EXISTS rs_ai_calls_created_idx;
ALTER TABLE rs_workflow_runs DROP KEY IF EXISTS rs_workflow_runs_type_idx;
