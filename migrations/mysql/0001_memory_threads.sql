-- rawstore memory domain. Every object is prefixed rs_; tenant_id leads every key.
-- Ids compare byte-wise (utf8mb4_bin): 'a' and 'A' are two ids, as on PostgreSQL and SQLite.
-- DATETIME(6) keeps microseconds; values are UTC, written and read only by rawstore.
-- One table per migration: MariaDB commits each DDL statement, so a one-statement migration either
-- happens or does not.
-- This migration: rs_threads.
CREATE TABLE rs_threads (
    tenant_id   VARCHAR(64)  NOT NULL,
    id          VARCHAR(255) NOT NULL,
    resource_id VARCHAR(255) NOT NULL,
    title       TEXT NULL,
    metadata    JSON NULL,
    created_at  DATETIME(6) NOT NULL,
    updated_at  DATETIME(6) NOT NULL,
    PRIMARY KEY (tenant_id, id),
    KEY rs_threads_resource_created_idx (tenant_id, resource_id, created_at, id),
    KEY rs_threads_resource_updated_idx (tenant_id, resource_id, updated_at, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
