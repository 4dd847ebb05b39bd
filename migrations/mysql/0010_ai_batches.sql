-- rawstore AI call log: one row per recorded batch, so recording a batch twice is a key conflict, not a race.
-- This migration: rs_ai_batches.
CREATE TABLE rs_ai_batches (
    tenant_id   VARCHAR(64)  NOT NULL,
    batch_id    VARCHAR(255) NOT NULL,
    calls       INT NOT NULL,
    recorded_at DATETIME(6) NOT NULL,
    PRIMARY KEY (tenant_id, batch_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;
