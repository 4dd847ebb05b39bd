DROP TABLE rs_otel_traces;
