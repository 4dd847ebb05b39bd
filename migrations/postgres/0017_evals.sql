-- rawstore legacy evals (`store.evals`, Mastra's mastra_evals). Every object is prefixed rs_; tenant_id leads every
-- key. An eval has no id of its own, so the kit gives each row a UUIDv7 `id` when it is saved: the primary key and
-- the tie-breaker of the newest-first order. `is_test` is computed when the row is written (test_info is an object
-- with a non-null "testPath"), so the test/live filter is an index column, never a JSON expression read per row.
-- Each filter combination of `list` has its own index ending in (created_at, id).
-- This migration: rs_evals.
CREATE TABLE rs_evals (
    tenant_id     text COLLATE "C" NOT NULL,
    id            text COLLATE "C" NOT NULL,
    agent_name    text COLLATE "C" NOT NULL,
    metric_name   text COLLATE "C" NOT NULL,
    input         text NOT NULL,
    output        text NOT NULL,
    result        jsonb NOT NULL,
    instructions  text NOT NULL,
    run_id        text COLLATE "C" NOT NULL,
    global_run_id text COLLATE "C" NOT NULL,
    test_info     jsonb,
    is_test       boolean NOT NULL,
    created_at    timestamptz NOT NULL,
    CONSTRAINT rs_evals_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT rs_evals_agent_len CHECK (char_length(agent_name) <= 255)
);
CREATE INDEX rs_evals_created_idx ON rs_evals (tenant_id, created_at, id);
CREATE INDEX rs_evals_type_idx ON rs_evals (tenant_id, is_test, created_at, id);
CREATE INDEX rs_evals_agent_idx ON rs_evals (tenant_id, agent_name, created_at, id);
CREATE INDEX rs_evals_agent_type_idx ON rs_evals (tenant_id, agent_name, is_test, created_at, id);
