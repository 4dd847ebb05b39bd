-- rawstore memory domain. Every object is prefixed rs_; tenant_id leads every key.
-- Ids compare byte-wise (utf8mb4_bin): 'a' and 'A' are two ids, as on PostgreSQL and SQLite.
-- DATETIME(6) keeps microseconds; values are UTC, written and read only by rawstore.
-- One table per migration: MariaDB commits each DDL statement, so a one-statement migration either
-- happens or does not.
-- This migration: rs_messages.
CREATE TABLE rs_messages (
    tenant_id   VARCHAR(64)  NOT NULL,
    id          VARCHAR(255) NOT NULL,
    thread_id   VARCHAR(255) NOT NULL,
    role        VARCHAR(64)  NOT NULL,
    type        VARCHAR(64)  NOT NULL,
    content     JSON NOT NULL,
    resource_id VARCHAR(255) NULL,
    created_at  DATETIME(6) NOT NULL,
    PRIMARY KEY (tenant_id, id),
    KEY rs_messages_thread_idx (tenant_id, thread_id, created_at, id),
    CONSTRAINT rs_messages_thread_fk FOREIGN KEY (tenant_id, thread_id) REFERENCES rs_threads (tenant_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
