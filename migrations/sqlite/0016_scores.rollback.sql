DROP TABLE rs_scores;
