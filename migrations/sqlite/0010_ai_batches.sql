-- rawstore AI call log: one row per recorded batch, so recording a batch twice is a key conflict, not a race.
-- This migration: rs_ai_batches.
CREATE TABLE rs_ai_batches (
    tenant_id   TEXT NOT NULL,
    batch_id    TEXT NOT NULL,
    calls       INTEGER NOT NULL,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, batch_id)
);
