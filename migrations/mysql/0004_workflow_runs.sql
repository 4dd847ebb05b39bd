-- rawstore workflow domain. Every object is prefixed rs_; tenant_id leads every key.
-- Ids compare byte-wise (utf8mb4_bin); DATETIME(6) holds UTC, written and read only by rawstore.
-- One table per migration: MariaDB commits each DDL statement.
-- This migration: rs_workflow_runs. MariaDB has no partial indexes, so status leads the claim index: claims read the
-- PENDING slice in (priority DESC, created_at, id) order; listings by status come oldest first.
CREATE TABLE rs_workflow_runs (
    tenant_id     VARCHAR(64)  NOT NULL,
    id            VARCHAR(255) NOT NULL,
    workflow_id   VARCHAR(255) NOT NULL,
    workflow_name VARCHAR(255) NOT NULL,
    workflow_type VARCHAR(255) NOT NULL,
    status        VARCHAR(16)  NOT NULL,
    priority      INT NOT NULL,
    started_at    DATETIME(6) NULL,
    completed_at  DATETIME(6) NULL,
    duration      BIGINT NULL,
    input         JSON NOT NULL,
    output        JSON NULL,
    config        JSON NOT NULL,
    total_cost    DOUBLE NOT NULL,
    total_tokens  BIGINT NOT NULL,
    metadata      JSON NULL,
    version       BIGINT NOT NULL,
    created_at    DATETIME(6) NOT NULL,
    updated_at    DATETIME(6) NOT NULL,
    PRIMARY KEY (tenant_id, id),
    KEY rs_workflow_runs_status_idx (tenant_id, status, created_at, id),
    KEY rs_workflow_runs_claim_idx (tenant_id, status, priority DESC, created_at, id),
    CONSTRAINT rs_workflow_runs_status_check
        CHECK (status IN ('PENDING', 'RUNNING', 'SUSPENDED', 'COMPLETED', 'FAILED', 'CANCELLED', 'SKIPPED'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
