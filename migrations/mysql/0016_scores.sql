-- rawstore scorer results (store.scores). Every object is prefixed rs_; tenant_id leads every key.
-- utf8mb4_nopad_bin: strings compare by code point and trailing spaces count, as on PostgreSQL ("C") and SQLite.
-- DATETIME(6) holds UTC. JSON columns are LONGTEXT checked by JSON_VALID, NULL when the value is None. Scores are
-- DOUBLE; the kit stores only finite scores of magnitude at most 1e288, so sums (stats) cannot overflow (an
-- overflowing SUM of DOUBLEs silently gives 0 on MariaDB).
-- Each list call reads one index range newest first by (created_at, id). InnoDB keys are at most 3,072 bytes, and
-- (tenant_id, two 255-character columns, created_at, id) would take 3,324: those indexes end at created_at and get
-- id from the primary key that InnoDB appends to every secondary index (MariaDB's extended keys use it for the
-- keyset range and the ORDER BY, no filesort). rs_scores_scorer_idx ends with (source, score), so stats of a scorer
-- reads only the index.
-- One table per migration: MariaDB commits each DDL statement.
-- This migration: rs_scores.
CREATE TABLE rs_scores (
    tenant_id              VARCHAR(64)  NOT NULL,
    id                     VARCHAR(255) NOT NULL,
    scorer_id              VARCHAR(255) NOT NULL,
    run_id                 VARCHAR(255) NOT NULL,
    entity_id              VARCHAR(255) NOT NULL,
    score                  DOUBLE NOT NULL,
    output                 JSON NULL,
    source                 VARCHAR(4) NOT NULL,
    scorer                 JSON NOT NULL,
    entity_type            VARCHAR(255) NULL,
    entity                 JSON NULL,
    trace_id               VARCHAR(255) NULL,
    span_id                VARCHAR(255) NULL,
    resource_id            VARCHAR(255) NULL,
    thread_id              VARCHAR(255) NULL,
    reason                 LONGTEXT NULL,
    input                  JSON NULL,
    metadata               JSON NULL,
    additional_context     JSON NULL,
    request_context        JSON NULL,
    preprocess_step_result JSON NULL,
    analyze_step_result    JSON NULL,
    preprocess_prompt      LONGTEXT NULL,
    analyze_prompt         LONGTEXT NULL,
    generate_score_prompt  LONGTEXT NULL,
    generate_reason_prompt LONGTEXT NULL,
    created_at             DATETIME(6) NOT NULL,
    updated_at             DATETIME(6) NOT NULL,
    PRIMARY KEY (tenant_id, id),
    KEY rs_scores_scorer_idx (tenant_id, scorer_id, created_at, id, source, score),
    KEY rs_scores_scorer_entity_idx (tenant_id, scorer_id, entity_id, created_at),
    KEY rs_scores_run_idx (tenant_id, run_id, created_at, id),
    KEY rs_scores_entity_idx (tenant_id, entity_id, entity_type, created_at),
    KEY rs_scores_span_idx (tenant_id, trace_id, span_id, created_at),
    CONSTRAINT rs_scores_source_check CHECK (source IN ('LIVE', 'TEST'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;
