-- The per-dimension vector tables rawstore created at run time (rs_memories_vec_<dims>) go first.
DO $$
DECLARE t record;
BEGIN
    FOR t IN SELECT c.relname FROM pg_class c
        WHERE c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace
          AND c.relname ~ '^rs_memories_vec_[0-9]+$'
    LOOP
        EXECUTE format('DROP TABLE %I', t.relname);
    END LOOP;
END $$;
DROP TABLE rs_memories;
DROP TABLE rs_mem_sessions;
DROP TABLE rs_mem_users;
