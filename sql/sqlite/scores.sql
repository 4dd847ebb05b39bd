-- name: insert_scores
-- Insert a batch of scores (one executemany in the caller's transaction); an id already stored is a
-- unique violation (Conflict), and the caller's transaction writes nothing.
INSERT INTO rs_scores (tenant_id, id, scorer_id, run_id, entity_id, score, output, source, scorer, entity_type,
    entity, trace_id, span_id, resource_id, thread_id, reason, input, metadata, additional_context,
    request_context, preprocess_step_result, analyze_step_result, preprocess_prompt, analyze_prompt,
    generate_score_prompt, generate_reason_prompt, created_at, updated_at)
VALUES (:tenant_id, :id, :scorer_id, :run_id, :entity_id, :score, :output, :source, :scorer, :entity_type,
        :entity, :trace_id, :span_id, :resource_id, :thread_id, :reason, :input, :metadata,
        :additional_context, :request_context, :preprocess_step_result, :analyze_step_result,
        :preprocess_prompt, :analyze_prompt, :generate_score_prompt, :generate_reason_prompt, :created_at,
        :updated_at)

-- name: get_score
-- One score by id.
SELECT id, scorer_id, run_id, entity_id, score, output, source, scorer, entity_type, entity, trace_id, span_id,
       resource_id, thread_id, reason, input, metadata, additional_context, request_context,
       preprocess_step_result, analyze_step_result, preprocess_prompt, analyze_prompt, generate_score_prompt,
       generate_reason_prompt, created_at, updated_at
FROM rs_scores WHERE tenant_id = :tenant_id AND id = :id

-- name: by_scorer
-- A page of a scorer's scores, newest first by (created_at, id), on rs_scores_scorer_idx: strictly before the
-- cursor (c_ts, c_id), within [lo, hi] (the caller makes hi at most c_ts).
-- entity_type and source, when not NULL, filter the index range.
SELECT id, scorer_id, run_id, entity_id, score, output, source, scorer, entity_type, entity, trace_id, span_id,
       resource_id, thread_id, reason, input, metadata, additional_context, request_context,
       preprocess_step_result, analyze_step_result, preprocess_prompt, analyze_prompt, generate_score_prompt,
       generate_reason_prompt, created_at, updated_at
FROM rs_scores INDEXED BY rs_scores_scorer_idx
WHERE tenant_id = :tenant_id AND scorer_id = :scorer_id
  AND created_at <= :hi AND created_at >= :lo AND (created_at < :c_ts OR id < :c_id)
  AND (:entity_type IS NULL OR entity_type = :entity_type)
  AND (:source IS NULL OR source = :source)
ORDER BY created_at DESC, id DESC LIMIT :limit

-- name: by_scorer_entity
-- A page of a scorer's scores of one entity, newest first by (created_at, id), on rs_scores_scorer_entity_idx:
-- strictly before the cursor (c_ts, c_id), within [lo, hi] (the caller makes hi at most c_ts).
-- entity_type and source, when not NULL, filter the index range.
SELECT id, scorer_id, run_id, entity_id, score, output, source, scorer, entity_type, entity, trace_id, span_id,
       resource_id, thread_id, reason, input, metadata, additional_context, request_context,
       preprocess_step_result, analyze_step_result, preprocess_prompt, analyze_prompt, generate_score_prompt,
       generate_reason_prompt, created_at, updated_at
FROM rs_scores INDEXED BY rs_scores_scorer_entity_idx
WHERE tenant_id = :tenant_id AND scorer_id = :scorer_id AND entity_id = :entity_id
  AND created_at <= :hi AND created_at >= :lo AND (created_at < :c_ts OR id < :c_id)
  AND (:entity_type IS NULL OR entity_type = :entity_type)
  AND (:source IS NULL OR source = :source)
ORDER BY created_at DESC, id DESC LIMIT :limit

-- name: by_run
-- A page of a run's scores, newest first by (created_at, id), on rs_scores_run_idx: strictly before the
-- cursor (c_ts, c_id), within [lo, hi] (the caller makes hi at most c_ts).
SELECT id, scorer_id, run_id, entity_id, score, output, source, scorer, entity_type, entity, trace_id, span_id,
       resource_id, thread_id, reason, input, metadata, additional_context, request_context,
       preprocess_step_result, analyze_step_result, preprocess_prompt, analyze_prompt, generate_score_prompt,
       generate_reason_prompt, created_at, updated_at
FROM rs_scores INDEXED BY rs_scores_run_idx
WHERE tenant_id = :tenant_id AND run_id = :run_id
  AND created_at <= :hi AND created_at >= :lo AND (created_at < :c_ts OR id < :c_id)
ORDER BY created_at DESC, id DESC LIMIT :limit

-- name: by_entity
-- A page of an entity's scores, newest first by (created_at, id), on rs_scores_entity_idx: strictly before the
-- cursor (c_ts, c_id), within [lo, hi] (the caller makes hi at most c_ts).
SELECT id, scorer_id, run_id, entity_id, score, output, source, scorer, entity_type, entity, trace_id, span_id,
       resource_id, thread_id, reason, input, metadata, additional_context, request_context,
       preprocess_step_result, analyze_step_result, preprocess_prompt, analyze_prompt, generate_score_prompt,
       generate_reason_prompt, created_at, updated_at
FROM rs_scores INDEXED BY rs_scores_entity_idx
WHERE tenant_id = :tenant_id AND entity_id = :entity_id AND entity_type = :entity_type
  AND created_at <= :hi AND created_at >= :lo AND (created_at < :c_ts OR id < :c_id)
ORDER BY created_at DESC, id DESC LIMIT :limit

-- name: by_span
-- A page of a span's scores, newest first by (created_at, id), on rs_scores_span_idx: strictly before the
-- cursor (c_ts, c_id), within [lo, hi] (the caller makes hi at most c_ts).
SELECT id, scorer_id, run_id, entity_id, score, output, source, scorer, entity_type, entity, trace_id, span_id,
       resource_id, thread_id, reason, input, metadata, additional_context, request_context,
       preprocess_step_result, analyze_step_result, preprocess_prompt, analyze_prompt, generate_score_prompt,
       generate_reason_prompt, created_at, updated_at
FROM rs_scores INDEXED BY rs_scores_span_idx
WHERE tenant_id = :tenant_id AND trace_id = :trace_id AND span_id = :span_id
  AND created_at <= :hi AND created_at >= :lo AND (created_at < :c_ts OR id < :c_id)
ORDER BY created_at DESC, id DESC LIMIT :limit

-- name: count_by_scorer
-- How many of a scorer's scores lie within [lo, hi], on rs_scores_scorer_idx.
SELECT count(*) FROM rs_scores INDEXED BY rs_scores_scorer_idx
WHERE tenant_id = :tenant_id AND scorer_id = :scorer_id
  AND created_at >= :lo AND created_at <= :hi
  AND (:entity_type IS NULL OR entity_type = :entity_type)
  AND (:source IS NULL OR source = :source)

-- name: count_by_scorer_entity
-- How many of a scorer's scores of one entity lie within [lo, hi], on rs_scores_scorer_entity_idx.
SELECT count(*) FROM rs_scores INDEXED BY rs_scores_scorer_entity_idx
WHERE tenant_id = :tenant_id AND scorer_id = :scorer_id AND entity_id = :entity_id
  AND created_at >= :lo AND created_at <= :hi
  AND (:entity_type IS NULL OR entity_type = :entity_type)
  AND (:source IS NULL OR source = :source)

-- name: count_by_run
-- How many of a run's scores lie within [lo, hi], on rs_scores_run_idx.
SELECT count(*) FROM rs_scores INDEXED BY rs_scores_run_idx
WHERE tenant_id = :tenant_id AND run_id = :run_id
  AND created_at >= :lo AND created_at <= :hi

-- name: count_by_entity
-- How many of an entity's scores lie within [lo, hi], on rs_scores_entity_idx.
SELECT count(*) FROM rs_scores INDEXED BY rs_scores_entity_idx
WHERE tenant_id = :tenant_id AND entity_id = :entity_id AND entity_type = :entity_type
  AND created_at >= :lo AND created_at <= :hi

-- name: count_by_span
-- How many of a span's scores lie within [lo, hi], on rs_scores_span_idx.
SELECT count(*) FROM rs_scores INDEXED BY rs_scores_span_idx
WHERE tenant_id = :tenant_id AND trace_id = :trace_id AND span_id = :span_id
  AND created_at >= :lo AND created_at <= :hi

-- name: stats_by_scorer
-- Count, mean, min and max of a scorer's scores in [lo, hi] (source, when not NULL,
-- filters), over one range of rs_scores_scorer_idx (its key ends with source, score: covering).
-- The mean is sum/count, not avg(): PostgreSQL's avg(float8) also sums squares, which overflow for scores past
-- about 1e154; sums cannot overflow, since the kit bounds every score to 1e288 in magnitude.
SELECT count(*) AS count, sum(score) / NULLIF(count(*), 0) AS mean, min(score) AS min, max(score) AS max
FROM rs_scores INDEXED BY rs_scores_scorer_idx
WHERE tenant_id = :tenant_id AND scorer_id = :scorer_id
  AND created_at >= :lo AND created_at <= :hi AND (:source IS NULL OR source = :source)

-- name: stats_by_scorer_entity
-- Count, mean, min and max of a scorer's scores of one entity in [lo, hi] (source, when not NULL,
-- filters), over one range of rs_scores_scorer_entity_idx (its key ends with source, score: covering).
-- The mean is sum/count, not avg(): PostgreSQL's avg(float8) also sums squares, which overflow for scores past
-- about 1e154; sums cannot overflow, since the kit bounds every score to 1e288 in magnitude.
SELECT count(*) AS count, sum(score) / NULLIF(count(*), 0) AS mean, min(score) AS min, max(score) AS max
FROM rs_scores INDEXED BY rs_scores_scorer_entity_idx
WHERE tenant_id = :tenant_id AND scorer_id = :scorer_id AND entity_id = :entity_id
  AND created_at >= :lo AND created_at <= :hi AND (:source IS NULL OR source = :source)
