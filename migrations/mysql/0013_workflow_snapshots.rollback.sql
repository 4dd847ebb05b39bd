DROP TABLE rs_workflow_snapshots;
