DROP TABLE rs_workflow_logs;
