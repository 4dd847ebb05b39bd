DROP TABLE rs_workflow_runs;
