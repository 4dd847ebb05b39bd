-- name: insert_scores[]
-- Insert a batch of scores from column arrays in one statement; an id already stored is a unique violation
-- (Conflict) and the statement writes nothing.
INSERT INTO {schema}rs_scores (tenant_id, id, scorer_id, run_id, entity_id, score, output, source, scorer,
    entity_type, entity, trace_id, span_id, resource_id, thread_id, reason, input, metadata,
    additional_context, request_context, preprocess_step_result, analyze_step_result, preprocess_prompt,
    analyze_prompt, generate_score_prompt, generate_reason_prompt, created_at, updated_at)
SELECT c0, c1, c2, c3, c4, c5, c6::jsonb, c7, c8::jsonb, c9, c10::jsonb, c11, c12, c13, c14, c15, c16::jsonb,
       c17::jsonb, c18::jsonb, c19::jsonb, c20::jsonb, c21::jsonb, c22, c23, c24, c25, c26, c27
FROM unnest(:tenant_id::text[], :id::text[], :scorer_id::text[], :run_id::text[], :entity_id::text[],
            :score::float8[], :output::text[], :source::text[], :scorer::text[], :entity_type::text[],
            :entity::text[], :trace_id::text[], :span_id::text[], :resource_id::text[], :thread_id::text[],
            :reason::text[], :input::text[], :metadata::text[], :additional_context::text[],
            :request_context::text[], :preprocess_step_result::text[], :analyze_step_result::text[],
            :preprocess_prompt::text[], :analyze_prompt::text[], :generate_score_prompt::text[],
            :generate_reason_prompt::text[], :created_at::timestamptz[], :updated_at::timestamptz[])
    AS u(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15, c16, c17, c18, c19, c20, c21,
         c22, c23, c24, c25, c26, c27)

-- name: get_score
-- One score by id.
SELECT id, scorer_id, run_id, entity_id, score, output::text, source, scorer::text, entity_type, entity::text,
       trace_id, span_id, resource_id, thread_id, reason, input::text, metadata::text,
       additional_context::text, request_context::text, preprocess_step_result::text,
       analyze_step_result::text, preprocess_prompt, analyze_prompt, generate_score_prompt,
       generate_reason_prompt, created_at, updated_at
FROM {schema}rs_scores WHERE tenant_id = :tenant_id AND id = :id

-- name: by_scorer
-- A page of a scorer's scores, newest first by (created_at, id), on rs_scores_scorer_idx: strictly before the
-- cursor (c_ts, c_id), within [lo, hi] (the caller makes hi at most c_ts).
-- entity_type and source, when not NULL, filter the index range.
SELECT id, scorer_id, run_id, entity_id, score, output::text, source, scorer::text, entity_type, entity::text,
       trace_id, span_id, resource_id, thread_id, reason, input::text, metadata::text,
       additional_context::text, request_context::text, preprocess_step_result::text,
       analyze_step_result::text, preprocess_prompt, analyze_prompt, generate_score_prompt,
       generate_reason_prompt, created_at, updated_at
FROM {schema}rs_scores
WHERE tenant_id = :tenant_id AND scorer_id = :scorer_id
  AND created_at <= :hi AND created_at >= :lo AND (created_at < :c_ts OR id < :c_id)
  AND (:entity_type::text IS NULL OR entity_type = :entity_type)
  AND (:source::text IS NULL OR source = :source)
ORDER BY created_at DESC, id DESC LIMIT :limit

-- name: by_scorer_entity
-- A page of a scorer's scores of one entity, newest first by (created_at, id), on rs_scores_scorer_entity_idx:
-- strictly before the cursor (c_ts, c_id), within [lo, hi] (the caller makes hi at most c_ts).
-- entity_type and source, when not NULL, filter the index range.
SELECT id, scorer_id, run_id, entity_id, score, output::text, source, scorer::text, entity_type, entity::text,
       trace_id, span_id, resource_id, thread_id, reason, input::text, metadata::text,
       additional_context::text, request_context::text, preprocess_step_result::text,
       analyze_step_result::text, preprocess_prompt, analyze_prompt, generate_score_prompt,
       generate_reason_prompt, created_at, updated_at
FROM {schema}rs_scores
WHERE tenant_id = :tenant_id AND scorer_id = :scorer_id AND entity_id = :entity_id
  AND created_at <= :hi AND created_at >= :lo AND (created_at < :c_ts OR id < :c_id)
  AND (:entity_type::text IS NULL OR entity_type = :entity_type)
  AND (:source::text IS NULL OR source = :source)
ORDER BY created_at DESC, id DESC LIMIT :limit

-- name: by_run
-- A page of a run's scores, newest first by (created_at, id), on rs_scores_run_idx: strictly before the
-- cursor (c_ts, c_id), within [lo, hi] (the caller makes hi at most c_ts).
SELECT id, scorer_id, run_id, entity_id, score, output::text, source, scorer::text, entity_type, entity::text,
       trace_id, span_id, resource_id, thread_id, reason, input::text, metadata::text,
       additional_context::text, request_context::text, preprocess_step_result::text,
       analyze_step_result::text, preprocess_prompt, analyze_prompt, generate_score_prompt,
       generate_reason_prompt, created_at, updated_at
FROM {schema}rs_scores
WHERE tenant_id = :tenant_id AND run_id = :run_id
  AND created_at <= :hi AND created_at >= :lo AND (created_at < :c_ts OR id < :c_id)
ORDER BY created_at DESC, id DESC LIMIT :limit

-- name: by_entity
-- A page of an entity's scores, newest first by (created_at, id), on rs_scores_entity_idx: strictly before the
-- cursor (c_ts, c_id), within [lo, hi] (the caller makes hi at most c_ts).
SELECT id, scorer_id, run_id, entity_id, score, output::text, source, scorer::text, entity_type, entity::text,
       trace_id, span_id, resource_id, thread_id, reason, input::text, metadata::text,
       additional_context::text, request_context::text, preprocess_step_result::text,
       analyze_step_result::text, preprocess_prompt, analyze_prompt, generate_score_prompt,
       generate_reason_prompt, created_at, updated_at
FROM {schema}rs_scores
WHERE tenant_id = :tenant_id AND entity_id = :entity_id AND entity_type = :entity_type
  AND created_at <= :hi AND created_at >= :lo AND (created_at < :c_ts OR id < :c_id)
ORDER BY created_at DESC, id DESC LIMIT :limit

-- name: by_span
-- A page of a span's scores, newest first by (created_at, id), on rs_scores_span_idx: strictly before the
-- cursor (c_ts, c_id), within [lo, hi] (the caller makes hi at most c_ts).
SELECT id, scorer_id, run_id, entity_id, score, output::text, source, scorer::text, entity_type, entity::text,
       trace_id, span_id, resource_id, thread_id, reason, input::text, metadata::text,
       additional_context::text, request_context::text, preprocess_step_result::text,
       analyze_step_result::text, preprocess_prompt, analyze_prompt, generate_score_prompt,
       generate_reason_prompt, created_at, updated_at
FROM {schema}rs_scores
WHERE tenant_id = :tenant_id AND trace_id = :trace_id AND span_id = :span_id
  AND created_at <= :hi AND created_at >= :lo AND (created_at < :c_ts OR id < :c_id)
ORDER BY created_at DESC, id DESC LIMIT :limit

-- name: count_by_scorer
-- How many of a scorer's scores lie within [lo, hi], on rs_scores_scorer_idx.
SELECT count(*) FROM {schema}rs_scores
WHERE tenant_id = :tenant_id AND scorer_id = :scorer_id
  AND created_at >= :lo AND created_at <= :hi
  AND (:entity_type::text IS NULL OR entity_type = :entity_type)
  AND (:source::text IS NULL OR source = :source)

-- name: count_by_scorer_entity
-- How many of a scorer's scores of one entity lie within [lo, hi], on rs_scores_scorer_entity_idx.
SELECT count(*) FROM {schema}rs_scores
WHERE tenant_id = :tenant_id AND scorer_id = :scorer_id AND entity_id = :entity_id
  AND created_at >= :lo AND created_at <= :hi
  AND (:entity_type::text IS NULL OR entity_type = :entity_type)
  AND (:source::text IS NULL OR source = :source)

-- name: count_by_run
-- How many of a run's scores lie within [lo, hi], on rs_scores_run_idx.
SELECT count(*) FROM {schema}rs_scores
WHERE tenant_id = :tenant_id AND run_id = :run_id
  AND created_at >= :lo AND created_at <= :hi

-- name: count_by_entity
-- How many of an entity's scores lie within [lo, hi], on rs_scores_entity_idx.
SELECT count(*) FROM {schema}rs_scores
WHERE tenant_id = :tenant_id AND entity_id = :entity_id AND entity_type = :entity_type
  AND created_at >= :lo AND created_at <= :hi

-- name: count_by_span
-- How many of a span's scores lie within [lo, hi], on rs_scores_span_idx.
SELECT count(*) FROM {schema}rs_scores
WHERE tenant_id = :tenant_id AND trace_id = :trace_id AND span_id = :span_id
  AND created_at >= :lo AND created_at <= :hi

-- name: stats_by_scorer
-- Count, mean, min and max of a scorer's scores in [lo, hi] (source, when not NULL,
-- filters), over one range of rs_scores_scorer_idx (it INCLUDEs source and score: index-only once vacuumed).
-- The mean is sum/count, not avg(): PostgreSQL's avg(float8) also sums squares, which overflow for scores past
-- about 1e154; sums cannot overflow, since the kit bounds every score to 1e288 in magnitude.
SELECT count(*) AS count, sum(score) / NULLIF(count(*), 0) AS mean, min(score) AS min, max(score) AS max
FROM {schema}rs_scores
WHERE tenant_id = :tenant_id AND scorer_id = :scorer_id
  AND created_at >= :lo AND created_at <= :hi AND (:source::text IS NULL OR source = :source)

-- name: stats_by_scorer_entity
-- Count, mean, min and max of a scorer's scores of one entity in [lo, hi] (source, when not NULL,
-- filters), over one range of rs_scores_scorer_entity_idx (it INCLUDEs source and score: index-only once vacuumed).
-- The mean is sum/count, not avg(): PostgreSQL's avg(float8) also sums squares, which overflow for scores past
-- about 1e154; sums cannot overflow, since the kit bounds every score to 1e288 in magnitude.
SELECT count(*) AS count, sum(score) / NULLIF(count(*), 0) AS mean, min(score) AS min, max(score) AS max
FROM {schema}rs_scores
WHERE tenant_id = :tenant_id AND scorer_id = :scorer_id AND entity_id = :entity_id
  AND created_at >= :lo AND created_at <= :hi AND (:source::text IS NULL OR source = :source)
