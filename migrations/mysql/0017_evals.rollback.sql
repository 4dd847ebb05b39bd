DROP TABLE rs_evals;
