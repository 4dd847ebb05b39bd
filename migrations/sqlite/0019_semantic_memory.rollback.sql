DROP TRIGGER rs_memories_fts_update;
DROP TRIGGER rs_memories_fts_delete;
DROP TRIGGER rs_memories_fts_insert;
DROP TABLE rs_memories_fts;
DROP TABLE rs_memories;
DROP TABLE rs_mem_sessions;
DROP TABLE rs_mem_users;
