DROP TABLE rs_workflow_artifacts;
