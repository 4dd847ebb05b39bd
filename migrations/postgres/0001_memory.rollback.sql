DROP TABLE rs_messages;
DROP TABLE rs_threads;
DROP TABLE rs_resources;
