-- rawstore workflow snapshots (Mastra's workflows domain). Every object is prefixed rs_; tenant_id leads every key.
-- One JSON snapshot per (workflow_name, run_id). status is the snapshot's top-level "status" string, kept in its own
-- column so that listing runs by status never reads a snapshot. snapshot is the last column: a large value spills
-- into overflow pages, and SQLite reads a row's columns up to the last one a query needs, so a listing that does not
-- select the snapshot never walks its pages.
-- Timestamps are fixed-width UTC text 'YYYY-MM-DD HH:MM:SS.ffffff', written only by rawstore; text compares byte-wise.
-- list_runs filters on any combination of workflow_name, resource_id and status, newest first by
-- (created_at, workflow_name, run_id): each of the eight combinations has its own index, whose equality columns
-- come first, then the order (created_at, then the tie-breakers). The resource indexes leave out runs without a
-- resource (a filter resource_id = x implies IS NOT NULL, so the planner still uses them).
-- rs_workflow_snapshots_run_idx serves get_run by run id alone (newest of the workflows sharing it).
-- This migration: rs_workflow_snapshots.
CREATE TABLE rs_workflow_snapshots (
    tenant_id     TEXT NOT NULL,
    workflow_name TEXT NOT NULL,
    run_id        TEXT NOT NULL,
    resource_id   TEXT,
    status        TEXT CHECK (length(status) <= 64),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    snapshot      TEXT NOT NULL CHECK (json_valid(snapshot)),
    PRIMARY KEY (tenant_id, workflow_name, run_id)
);
CREATE INDEX rs_workflow_snapshots_created_idx ON rs_workflow_snapshots (tenant_id, created_at, workflow_name, run_id);
CREATE INDEX rs_workflow_snapshots_name_idx ON rs_workflow_snapshots (tenant_id, workflow_name, created_at, run_id);
CREATE INDEX rs_workflow_snapshots_resource_idx ON rs_workflow_snapshots
    (tenant_id, resource_id, created_at, workflow_name, run_id) WHERE resource_id IS NOT NULL;
CREATE INDEX rs_workflow_snapshots_status_idx ON rs_workflow_snapshots
    (tenant_id, status, created_at, workflow_name, run_id);
CREATE INDEX rs_workflow_snapshots_name_resource_idx ON rs_workflow_snapshots
    (tenant_id, workflow_name, resource_id, created_at, run_id) WHERE resource_id IS NOT NULL;
CREATE INDEX rs_workflow_snapshots_name_status_idx ON rs_workflow_snapshots
    (tenant_id, workflow_name, status, created_at, run_id);
CREATE INDEX rs_workflow_snapshots_resource_status_idx ON rs_workflow_snapshots
    (tenant_id, resource_id, status, created_at, workflow_name, run_id) WHERE resource_id IS NOT NULL;
CREATE INDEX rs_workflow_snapshots_name_resource_status_idx ON rs_workflow_snapshots
    (tenant_id, workflow_name, resource_id, status, created_at, run_id) WHERE resource_id IS NOT NULL;
CREATE INDEX rs_workflow_snapshots_run_idx ON rs_workflow_snapshots (tenant_id, run_id, created_at, workflow_name);
