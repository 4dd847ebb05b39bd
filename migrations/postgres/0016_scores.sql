-- rawstore scorer results (store.scores). Every object is prefixed rs_; tenant_id leads every key.
-- Key text compares byte-wise (COLLATE "C"). JSON fields are jsonb, NULL when the value is None. Scores are float8;
-- the kit stores only finite scores of magnitude at most 1e288, so sums (stats) cannot overflow.
-- Each list call (by scorer, scorer and entity, run, entity, span) reads one index range newest first by
-- (created_at, id); the two scorer indexes INCLUDE source and score, so stats is an index-only scan once the table is
-- vacuumed.
-- This migration: rs_scores.
CREATE TABLE rs_scores (
    tenant_id              text COLLATE "C" NOT NULL,
    id                     text COLLATE "C" NOT NULL,
    scorer_id              text COLLATE "C" NOT NULL,
    run_id                 text COLLATE "C" NOT NULL,
    entity_id              text COLLATE "C" NOT NULL,
    score                  double precision NOT NULL,
    output                 jsonb,
    source                 text COLLATE "C" NOT NULL,
    scorer                 jsonb NOT NULL,
    entity_type            text COLLATE "C",
    entity                 jsonb,
    trace_id               text COLLATE "C",
    span_id                text COLLATE "C",
    resource_id            text COLLATE "C",
    thread_id              text COLLATE "C",
    reason                 text,
    input                  jsonb,
    metadata               jsonb,
    additional_context     jsonb,
    request_context        jsonb,
    preprocess_step_result jsonb,
    analyze_step_result    jsonb,
    preprocess_prompt      text,
    analyze_prompt         text,
    generate_score_prompt  text,
    generate_reason_prompt text,
    created_at             timestamptz NOT NULL,
    updated_at             timestamptz NOT NULL,
    CONSTRAINT rs_scores_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT rs_scores_source_check CHECK (source IN ('LIVE', 'TEST'))
);
CREATE INDEX rs_scores_scorer_idx ON rs_scores (tenant_id, scorer_id, created_at, id) INCLUDE (source, score);
CREATE INDEX rs_scores_scorer_entity_idx ON rs_scores (tenant_id, scorer_id, entity_id, created_at, id)
    INCLUDE (source, score);
CREATE INDEX rs_scores_run_idx ON rs_scores (tenant_id, run_id, created_at, id);
CREATE INDEX rs_scores_entity_idx ON rs_scores (tenant_id, entity_id, entity_type, created_at, id);
CREATE INDEX rs_scores_span_idx ON rs_scores (tenant_id, trace_id, span_id, created_at, id);
