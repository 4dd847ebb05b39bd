DROP TABLE rs_ai_spans;
