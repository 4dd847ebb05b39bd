DROP TABLE rs_messages;
