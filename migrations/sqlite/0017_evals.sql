-- rawstore legacy evals (`store.evals`, Mastra's mastra_evals). Every object is prefixed rs_; tenant_id leads every
-- key. An eval has no id of its own, so the kit gives each row a UUIDv7 `id` when it is saved: the primary key and
-- the tie-breaker of the newest-first order. `is_test` (0/1) is computed when the row is written (test_info is an
-- object with a non-null "testPath"), so the test/live filter is an index column, never a JSON expression read per
-- row. Each filter combination of `list` has its own index ending in (created_at, id). Text compares byte-wise
-- (BINARY); created_at is fixed-width UTC text 'YYYY-MM-DD HH:MM:SS.ffffff'; JSON columns are TEXT written by the kit.
-- This migration: rs_evals.
CREATE TABLE rs_evals (
    tenant_id     TEXT NOT NULL,
    id            TEXT NOT NULL,
    agent_name    TEXT NOT NULL CHECK (length(agent_name) <= 255),
    metric_name   TEXT NOT NULL,
    input         TEXT NOT NULL,
    output        TEXT NOT NULL,
    result        TEXT NOT NULL,
    instructions  TEXT NOT NULL,
    run_id        TEXT NOT NULL,
    global_run_id TEXT NOT NULL,
    test_info     TEXT,
    is_test       INTEGER NOT NULL CHECK (is_test IN (0, 1)),
    created_at    TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX rs_evals_created_idx ON rs_evals (tenant_id, created_at, id);
CREATE INDEX rs_evals_type_idx ON rs_evals (tenant_id, is_test, created_at, id);
CREATE INDEX rs_evals_agent_idx ON rs_evals (tenant_id, agent_name, created_at, id);
CREATE INDEX rs_evals_agent_type_idx ON rs_evals (tenant_id, agent_name, is_test, created_at, id);
