DROP TABLE rs_jobs;
