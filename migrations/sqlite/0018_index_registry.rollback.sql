DROP TABLE rs_index_registry;
