DROP TABLE rs_ai_batches;
