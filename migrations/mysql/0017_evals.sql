-- rawstore legacy evals (`store.evals`, Mastra's mastra_evals). Every object is prefixed rs_; tenant_id leads every
-- key. An eval has no id of its own, so the kit gives each row a UUIDv7 `id` when it is saved: the primary key and
-- the tie-breaker of the newest-first order. `is_test` is computed when the row is written (test_info is an object
-- with a non-null "testPath"), so the test/live filter is an index column, never a JSON expression read per row.
-- Each filter combination of `list` has its own index ending in (created_at, id). utf8mb4_nopad_bin: agent names
-- compare by code point and trailing spaces count. DATETIME(6) holds UTC.
-- One table per migration: MariaDB commits each DDL statement.
-- This migration: rs_evals.
CREATE TABLE rs_evals (
    tenant_id     VARCHAR(64)  NOT NULL,
    id            VARCHAR(255) NOT NULL,
    agent_name    VARCHAR(255) NOT NULL,
    metric_name   VARCHAR(255) NOT NULL,
    input         LONGTEXT NOT NULL,
    output        LONGTEXT NOT NULL,
    result        JSON NOT NULL,
    instructions  LONGTEXT NOT NULL,
    run_id        VARCHAR(255) NOT NULL,
    global_run_id VARCHAR(255) NOT NULL,
    test_info     JSON NULL,
    is_test       BOOLEAN NOT NULL,
    created_at    DATETIME(6) NOT NULL,
    PRIMARY KEY (tenant_id, id),
    KEY rs_evals_created_idx (tenant_id, created_at, id),
    KEY rs_evals_type_idx (tenant_id, is_test, created_at, id),
    KEY rs_evals_agent_idx (tenant_id, agent_name, created_at, id),
    KEY rs_evals_agent_type_idx (tenant_id, agent_name, is_test, created_at, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;
