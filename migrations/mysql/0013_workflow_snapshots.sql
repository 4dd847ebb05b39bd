-- rawstore workflow snapshots (Mastra's workflows domain). Every object is prefixed rs_; tenant_id leads every key.
-- One JSON snapshot per (workflow_name, run_id). status is the snapshot's top-level "status" string, kept in its own
-- column so that listing runs by status never reads a snapshot. snapshot (JSON: LONGTEXT checked by JSON_VALID) is
-- the last column; InnoDB keeps a large value off the row's page, so a listing that does not select it never reads it.
-- utf8mb4_nopad_bin: keys compare by code point and trailing spaces count, as on PostgreSQL ("C") and SQLite.
-- DATETIME(6) holds UTC, written only by rawstore.
-- list_runs filters on any combination of workflow_name, resource_id and status, newest first by
-- (created_at, workflow_name, run_id): each of the eight combinations has its own index, its equality columns first,
-- then created_at. InnoDB appends the primary key's columns missing from a secondary index to it (and the optimizer
-- uses them: extended keys), so every index ends in the (workflow_name, run_id) tie-breakers without naming them;
-- naming them would push the three-filter index past InnoDB's 3,072-byte key limit.
-- rs_workflow_snapshots_run_idx serves get_run by run id alone (newest of the workflows sharing it).
-- This migration: rs_workflow_snapshots.
CREATE TABLE rs_workflow_snapshots (
    tenant_id     VARCHAR(64)  NOT NULL,
    workflow_name VARCHAR(255) NOT NULL,
    run_id        VARCHAR(255) NOT NULL,
    resource_id   VARCHAR(255) NULL,
    status        VARCHAR(64)  NULL,
    created_at    DATETIME(6) NOT NULL,
    updated_at    DATETIME(6) NOT NULL,
    snapshot      JSON NOT NULL,
    PRIMARY KEY (tenant_id, workflow_name, run_id),
    KEY rs_workflow_snapshots_created_idx (tenant_id, created_at),
    KEY rs_workflow_snapshots_name_idx (tenant_id, workflow_name, created_at),
    KEY rs_workflow_snapshots_resource_idx (tenant_id, resource_id, created_at),
    KEY rs_workflow_snapshots_status_idx (tenant_id, status, created_at),
    KEY rs_workflow_snapshots_name_resource_idx (tenant_id, workflow_name, resource_id, created_at),
    KEY rs_workflow_snapshots_name_status_idx (tenant_id, workflow_name, status, created_at),
    KEY rs_workflow_snapshots_resource_status_idx (tenant_id, resource_id, status, created_at),
    KEY rs_workflow_snapshots_name_resource_status_idx (tenant_id, workflow_name, resource_id, status, created_at),
    KEY rs_workflow_snapshots_run_idx (tenant_id, run_id, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;
