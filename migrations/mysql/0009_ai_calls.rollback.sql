DROP TABLE rs_ai_calls;
