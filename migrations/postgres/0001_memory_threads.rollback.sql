DROP TABLE rs_threads;
