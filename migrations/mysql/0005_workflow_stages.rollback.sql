DROP TABLE rs_workflow_stages;
