DROP TABLE rs_resources;
