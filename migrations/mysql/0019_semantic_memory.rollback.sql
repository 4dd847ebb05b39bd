DROP TABLE IF EXISTS rs_memories;
DROP TABLE IF EXISTS rs_mem_sessions;
DROP TABLE IF EXISTS rs_mem_users;
