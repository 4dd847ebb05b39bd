-- rawstore: every table of migrations 0001-0008 compares strings byte-wise, as rs_ai_calls and rs_ai_batches
-- (0009, 0010) and PostgreSQL ("C") and SQLite (BINARY) always did.
-- Those tables were created with utf8mb4_bin, which is PAD SPACE in MariaDB: 'x' = 'x ', so tenant "x " read,
-- claimed and overwrote tenant "x"'s rows, and id "a " was id "a". utf8mb4_nopad_bin orders by code point like
-- utf8mb4_bin but counts trailing spaces. Each table names its collation, so nothing depends on the database's
-- default (the server's default is often a case-insensitive one). CONVERT also sets the table's default, so a
-- column added later compares byte-wise too.
--
-- Converting NOPAD is finer than PAD, so no unique key can break. MariaDB refuses to change the collation of a
-- column that a foreign key uses (even with FOREIGN_KEY_CHECKS=0), so the foreign keys are dropped, every table
-- converted (a table rebuild each), and the same foreign keys added back. They are added back with
-- FOREIGN_KEY_CHECKS=0: in place, without a second pass over every child table, and without failing on a child row
-- that a padded comparison once matched to a parent (such rows are kept as they are).
-- MariaDB commits each DDL statement, so this migration is not atomic; every statement is idempotent (IF EXISTS /
-- IF NOT EXISTS, converting a converted table changes nothing), so after a failure it can simply be run again.
--
-- An application table with a foreign key to a kit table would stop the conversion halfway (MariaDB cannot change
-- a referenced column's collation), and the kit never alters another table: so the first statement refuses, naming
-- those keys, before anything changes. Drop them, migrate, convert their columns to utf8mb4_nopad_bin (or the whole
-- table: ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin), then add them back.
BEGIN NOT ATOMIC
    DECLARE app_keys TEXT;
    SELECT GROUP_CONCAT(CONCAT(table_name, '.', constraint_name) ORDER BY table_name, constraint_name SEPARATOR ', ')
        INTO app_keys
        FROM information_schema.referential_constraints
        WHERE constraint_schema = DATABASE() AND referenced_table_name LIKE 'rs\\_%' AND table_name NOT LIKE 'rs\\_%';
    IF app_keys IS NOT NULL THEN
        SET app_keys = CONCAT('0011_nopad_keys: foreign keys of application tables reference rawstore tables (',
            LEFT(app_keys, 300), '); drop them, migrate, convert their columns to utf8mb4_nopad_bin and add them',
            ' back (README, Values)');
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = app_keys;
    END IF;
END;

SET FOREIGN_KEY_CHECKS = 0;

ALTER TABLE rs_messages DROP FOREIGN KEY IF EXISTS rs_messages_thread_fk;
ALTER TABLE rs_workflow_stages DROP FOREIGN KEY IF EXISTS rs_workflow_stages_run_fk;
ALTER TABLE rs_workflow_logs
    DROP FOREIGN KEY IF EXISTS rs_workflow_logs_run_fk,
    DROP FOREIGN KEY IF EXISTS rs_workflow_logs_stage_fk;
ALTER TABLE rs_workflow_artifacts DROP FOREIGN KEY IF EXISTS rs_workflow_artifacts_run_fk;
ALTER TABLE rs_jobs DROP FOREIGN KEY IF EXISTS rs_jobs_run_fk;

ALTER TABLE rs_threads CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;
ALTER TABLE rs_messages CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;
ALTER TABLE rs_resources CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;
ALTER TABLE rs_workflow_runs CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;
ALTER TABLE rs_workflow_stages CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;
ALTER TABLE rs_workflow_logs CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;
ALTER TABLE rs_workflow_artifacts CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;
ALTER TABLE rs_jobs CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;

ALTER TABLE rs_messages ADD CONSTRAINT rs_messages_thread_fk FOREIGN KEY IF NOT EXISTS (tenant_id, thread_id)
    REFERENCES rs_threads (tenant_id, id);
ALTER TABLE rs_workflow_stages ADD CONSTRAINT rs_workflow_stages_run_fk FOREIGN KEY IF NOT EXISTS
    (tenant_id, workflow_run_id) REFERENCES rs_workflow_runs (tenant_id, id) ON DELETE CASCADE;
ALTER TABLE rs_workflow_logs
    ADD CONSTRAINT rs_workflow_logs_run_fk FOREIGN KEY IF NOT EXISTS (tenant_id, workflow_run_id)
        REFERENCES rs_workflow_runs (tenant_id, id) ON DELETE CASCADE,
    ADD CONSTRAINT rs_workflow_logs_stage_fk FOREIGN KEY IF NOT EXISTS (tenant_id, workflow_stage_id)
        REFERENCES rs_workflow_stages (tenant_id, id) ON DELETE CASCADE;
ALTER TABLE rs_workflow_artifacts ADD CONSTRAINT rs_workflow_artifacts_run_fk FOREIGN KEY IF NOT EXISTS
    (tenant_id, workflow_run_id) REFERENCES rs_workflow_runs (tenant_id, id) ON DELETE CASCADE;
ALTER TABLE rs_jobs ADD CONSTRAINT rs_jobs_run_fk FOREIGN KEY IF NOT EXISTS (tenant_id, workflow_run_id)
    REFERENCES rs_workflow_runs (tenant_id, id) ON DELETE CASCADE;

SET FOREIGN_KEY_CHECKS = 1;
