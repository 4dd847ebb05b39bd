-- rawstore AI call log: one row per recorded batch, so recording a batch twice is a key conflict, not a race.
-- This migration: rs_ai_batches.
CREATE TABLE rs_ai_batches (
    tenant_id   text COLLATE "C" NOT NULL,
    batch_id    text COLLATE "C" NOT NULL,
    calls       integer NOT NULL,
    recorded_at timestamptz NOT NULL,
    CONSTRAINT rs_ai_batches_pkey PRIMARY KEY (tenant_id, batch_id)
);
