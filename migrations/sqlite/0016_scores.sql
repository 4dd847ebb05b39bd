-- rawstore scorer results (store.scores). Every object is prefixed rs_; tenant_id leads every key.
-- Timestamps are fixed-width UTC text 'YYYY-MM-DD HH:MM:SS.ffffff'. Text compares byte-wise (BINARY). JSON columns
-- are TEXT, NULL when the value is None. Scores are REAL; the kit stores only finite scores of magnitude at most
-- 1e288, so sums (stats) cannot overflow.
-- Each list call reads one index range newest first by (created_at, id); the two scorer indexes end with
-- (source, score), so stats reads only the index.
-- This migration: rs_scores.
CREATE TABLE rs_scores (
    tenant_id              TEXT NOT NULL,
    id                     TEXT NOT NULL,
    scorer_id              TEXT NOT NULL,
    run_id                 TEXT NOT NULL,
    entity_id              TEXT NOT NULL,
    score                  REAL NOT NULL,
    output                 TEXT,
    source                 TEXT NOT NULL CHECK (source IN ('LIVE', 'TEST')),
    scorer                 TEXT NOT NULL,
    entity_type            TEXT,
    entity                 TEXT,
    trace_id               TEXT,
    span_id                TEXT,
    resource_id            TEXT,
    thread_id              TEXT,
    reason                 TEXT,
    input                  TEXT,
    metadata               TEXT,
    additional_context     TEXT,
    request_context        TEXT,
    preprocess_step_result TEXT,
    analyze_step_result    TEXT,
    preprocess_prompt      TEXT,
    analyze_prompt         TEXT,
    generate_score_prompt  TEXT,
    generate_reason_prompt TEXT,
    created_at             TEXT NOT NULL,
    updated_at             TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX rs_scores_scorer_idx ON rs_scores (tenant_id, scorer_id, created_at, id, source, score);
CREATE INDEX rs_scores_scorer_entity_idx ON rs_scores (tenant_id, scorer_id, entity_id, created_at, id, source, score);
CREATE INDEX rs_scores_run_idx ON rs_scores (tenant_id, run_id, created_at, id);
CREATE INDEX rs_scores_entity_idx ON rs_scores (tenant_id, entity_id, entity_type, created_at, id);
CREATE INDEX rs_scores_span_idx ON rs_scores (tenant_id, trace_id, span_id, created_at, id);
