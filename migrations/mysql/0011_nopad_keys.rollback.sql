-- Back to utf8mb4_bin (PAD SPACE), the collation of migrations 0001-0008, by the same steps as 0011 (see there).
-- This fails with a duplicate-key error while two keys exist that differ only by trailing spaces (for example ids
-- "a" and "a "): PAD SPACE makes them one key. Remove or rename one of each such pair first; the statements are
-- idempotent, so the rollback can then be run again.
SET FOREIGN_KEY_CHECKS = 0;

ALTER TABLE rs_messages DROP FOREIGN KEY IF EXISTS rs_messages_thread_fk;
ALTER TABLE rs_workflow_stages DROP FOREIGN KEY IF EXISTS rs_workflow_stages_run_fk;
ALTER TABLE rs_workflow_logs
    DROP FOREIGN KEY IF EXISTS rs_workflow_logs_run_fk,
    DROP FOREIGN KEY IF EXISTS rs_workflow_logs_stage_fk;
ALTER TABLE rs_workflow_artifacts DROP FOREIGN KEY IF EXISTS rs_workflow_artifacts_run_fk;
ALTER TABLE rs_jobs DROP FOREIGN KEY IF EXISTS rs_jobs_run_fk;

ALTER TABLE rs_threads CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
ALTER TABLE rs_messages CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
ALTER TABLE rs_resources CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
ALTER TABLE rs_workflow_runs CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
ALTER TABLE rs_workflow_stages CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
ALTER TABLE rs_workflow_logs CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
ALTER TABLE rs_workflow_artifacts CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
ALTER TABLE rs_jobs CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

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
