-- name: insert_spans
-- Insert a batch of new spans (one executemany in the caller's transaction); a (trace_id, span_id)
-- already stored, or twice in the batch, is a duplicate key and nothing is written.
INSERT INTO rs_ai_spans (
    tenant_id, trace_id, span_id, parent_span_id, name, span_type, started_at, ended_at, is_event, input_tokens,
    output_tokens, entity_type, entity_id, entity_name, resource_id, thread_id, run_id, session_id, created_at,
    updated_at, error, scope, tags, links, metadata, attributes, input, output)
VALUES (
    :tenant_id, :trace_id, :span_id, :parent_span_id, :name, :span_type, :started_at, :ended_at, :is_event,
    :input_tokens, :output_tokens, :entity_type, :entity_id, :entity_name, :resource_id, :thread_id, :run_id,
    :session_id, :created_at, :updated_at, :error, :scope, :tags, :links, :metadata, :attributes, :input, :output)

-- name: update_spans
-- Apply a batch of partial updates, one executemany in the caller's transaction: a NULL keeps the stored
-- value; spans that do not exist are skipped.
UPDATE rs_ai_spans SET
    name = COALESCE(:name, name), span_type = COALESCE(:span_type, span_type),
    started_at = COALESCE(:started_at, started_at), parent_span_id = COALESCE(:parent_span_id, parent_span_id),
    ended_at = COALESCE(:ended_at, ended_at), is_event = COALESCE(:is_event, is_event),
    input_tokens = COALESCE(:input_tokens, input_tokens), output_tokens = COALESCE(:output_tokens, output_tokens),
    entity_type = COALESCE(:entity_type, entity_type), entity_id = COALESCE(:entity_id, entity_id),
    entity_name = COALESCE(:entity_name, entity_name), resource_id = COALESCE(:resource_id, resource_id),
    thread_id = COALESCE(:thread_id, thread_id), run_id = COALESCE(:run_id, run_id),
    session_id = COALESCE(:session_id, session_id), updated_at = :updated_at, error = COALESCE(:error, error),
    scope = COALESCE(:scope, scope), tags = COALESCE(:tags, tags), links = COALESCE(:links, links),
    metadata = COALESCE(:metadata, metadata), attributes = COALESCE(:attributes, attributes),
    input = COALESCE(:input, input), output = COALESCE(:output, output)
WHERE tenant_id = :tenant_id AND trace_id = :trace_id AND span_id = :span_id

-- name: update_spans_unindexed
-- update_spans for a batch that sets no indexed column (started_at, parent_span_id, the entity, resource,
-- thread and run ids): SQLite rewrites the entries of every index whose column an UPDATE sets, changed or
-- not, and this statement sets none.
UPDATE rs_ai_spans SET
    name = COALESCE(:name, name), span_type = COALESCE(:span_type, span_type),
    ended_at = COALESCE(:ended_at, ended_at), is_event = COALESCE(:is_event, is_event),
    input_tokens = COALESCE(:input_tokens, input_tokens), output_tokens = COALESCE(:output_tokens, output_tokens),
    entity_type = COALESCE(:entity_type, entity_type), entity_name = COALESCE(:entity_name, entity_name),
    session_id = COALESCE(:session_id, session_id), updated_at = :updated_at, error = COALESCE(:error, error),
    scope = COALESCE(:scope, scope), tags = COALESCE(:tags, tags), links = COALESCE(:links, links),
    metadata = COALESCE(:metadata, metadata), attributes = COALESCE(:attributes, attributes),
    input = COALESCE(:input, input), output = COALESCE(:output, output)
WHERE tenant_id = :tenant_id AND trace_id = :trace_id AND span_id = :span_id

-- name: end_spans
-- update_spans for a batch of span ends: updates that set only ended_at, output, error, attributes (and so
-- the token counts) and metadata, the "batch with updates" strategy's hot path.
UPDATE rs_ai_spans SET
    ended_at = COALESCE(:ended_at, ended_at), input_tokens = COALESCE(:input_tokens, input_tokens),
    output_tokens = COALESCE(:output_tokens, output_tokens), updated_at = :updated_at,
    error = COALESCE(:error, error), metadata = COALESCE(:metadata, metadata),
    attributes = COALESCE(:attributes, attributes), output = COALESCE(:output, output)
WHERE tenant_id = :tenant_id AND trace_id = :trace_id AND span_id = :span_id

-- name: get_span
-- One span by its key.
SELECT
    trace_id, span_id, name, span_type, started_at, parent_span_id, ended_at, is_event, scope, attributes,
    metadata, links, input, output, error, entity_type, entity_id, entity_name, resource_id, thread_id, run_id,
    session_id, tags, created_at, updated_at, NULL AS children, NULL AS summary
FROM rs_ai_spans WHERE tenant_id = :tenant_id AND trace_id = :trace_id AND span_id = :span_id

-- name: trace_spans
-- Every span of a trace, by (started_at, span_id): one range of the primary key, sorted.
SELECT
    trace_id, span_id, name, span_type, started_at, parent_span_id, ended_at, is_event, scope, attributes,
    metadata, links, input, output, error, entity_type, entity_id, entity_name, resource_id, thread_id, run_id,
    session_id, tags, created_at, updated_at, NULL AS children, NULL AS summary
FROM rs_ai_spans WHERE tenant_id = :tenant_id AND trace_id = :trace_id
ORDER BY started_at, span_id

-- name: roots_page
-- A page of root spans, newest first by (started_at, trace_id, span_id), strictly after the cursor, within
-- [lo, hi], on the roots index; other filters are checked on the roots it walks.
SELECT
    trace_id, span_id, name, span_type, started_at, parent_span_id, ended_at, is_event, scope, attributes,
    metadata, links, input, output, error, entity_type, entity_id, entity_name, resource_id, thread_id, run_id,
    session_id, tags, created_at, updated_at, NULL AS children, NULL AS summary
FROM rs_ai_spans
WHERE tenant_id = :tenant_id AND parent_span_id IS NULL
  AND started_at <= :hi AND started_at >= :lo
  AND (started_at < :c_ts OR trace_id < :c_trace OR (trace_id = :c_trace AND span_id < :c_span))
  AND (:name IS NULL OR name = :name)
  AND (:span_type IS NULL OR span_type = :span_type)
  AND (:entity_type IS NULL OR entity_type = :entity_type)
  AND (:entity_id IS NULL OR entity_id = :entity_id)
  AND (:resource_id IS NULL OR resource_id = :resource_id)
  AND (:thread_id IS NULL OR thread_id = :thread_id)
  AND (:run_id IS NULL OR run_id = :run_id)
  AND (:st_error IS NULL OR (error IS NOT NULL) = :st_error)
  AND (:st_ended IS NULL OR (ended_at IS NOT NULL) = :st_ended)
ORDER BY started_at DESC, trace_id DESC, span_id DESC LIMIT :limit

-- name: roots_by_entity
-- roots_page for one entity_id, on the entity roots index.
SELECT
    trace_id, span_id, name, span_type, started_at, parent_span_id, ended_at, is_event, scope, attributes,
    metadata, links, input, output, error, entity_type, entity_id, entity_name, resource_id, thread_id, run_id,
    session_id, tags, created_at, updated_at, NULL AS children, NULL AS summary
FROM rs_ai_spans
WHERE tenant_id = :tenant_id AND parent_span_id IS NULL
  AND entity_id = :entity_id
  AND started_at <= :hi AND started_at >= :lo
  AND (started_at < :c_ts OR trace_id < :c_trace OR (trace_id = :c_trace AND span_id < :c_span))
  AND (:name IS NULL OR name = :name)
  AND (:span_type IS NULL OR span_type = :span_type)
  AND (:entity_type IS NULL OR entity_type = :entity_type)
  AND (:resource_id IS NULL OR resource_id = :resource_id)
  AND (:thread_id IS NULL OR thread_id = :thread_id)
  AND (:run_id IS NULL OR run_id = :run_id)
  AND (:st_error IS NULL OR (error IS NOT NULL) = :st_error)
  AND (:st_ended IS NULL OR (ended_at IS NOT NULL) = :st_ended)
ORDER BY started_at DESC, trace_id DESC, span_id DESC LIMIT :limit

-- name: roots_by_resource
-- roots_page for one resource_id, on the resource roots index.
SELECT
    trace_id, span_id, name, span_type, started_at, parent_span_id, ended_at, is_event, scope, attributes,
    metadata, links, input, output, error, entity_type, entity_id, entity_name, resource_id, thread_id, run_id,
    session_id, tags, created_at, updated_at, NULL AS children, NULL AS summary
FROM rs_ai_spans
WHERE tenant_id = :tenant_id AND parent_span_id IS NULL
  AND resource_id = :resource_id
  AND started_at <= :hi AND started_at >= :lo
  AND (started_at < :c_ts OR trace_id < :c_trace OR (trace_id = :c_trace AND span_id < :c_span))
  AND (:name IS NULL OR name = :name)
  AND (:span_type IS NULL OR span_type = :span_type)
  AND (:entity_type IS NULL OR entity_type = :entity_type)
  AND (:entity_id IS NULL OR entity_id = :entity_id)
  AND (:thread_id IS NULL OR thread_id = :thread_id)
  AND (:run_id IS NULL OR run_id = :run_id)
  AND (:st_error IS NULL OR (error IS NOT NULL) = :st_error)
  AND (:st_ended IS NULL OR (ended_at IS NOT NULL) = :st_ended)
ORDER BY started_at DESC, trace_id DESC, span_id DESC LIMIT :limit

-- name: roots_by_thread
-- roots_page for one thread_id, on the thread roots index.
SELECT
    trace_id, span_id, name, span_type, started_at, parent_span_id, ended_at, is_event, scope, attributes,
    metadata, links, input, output, error, entity_type, entity_id, entity_name, resource_id, thread_id, run_id,
    session_id, tags, created_at, updated_at, NULL AS children, NULL AS summary
FROM rs_ai_spans
WHERE tenant_id = :tenant_id AND parent_span_id IS NULL
  AND thread_id = :thread_id
  AND started_at <= :hi AND started_at >= :lo
  AND (started_at < :c_ts OR trace_id < :c_trace OR (trace_id = :c_trace AND span_id < :c_span))
  AND (:name IS NULL OR name = :name)
  AND (:span_type IS NULL OR span_type = :span_type)
  AND (:entity_type IS NULL OR entity_type = :entity_type)
  AND (:entity_id IS NULL OR entity_id = :entity_id)
  AND (:resource_id IS NULL OR resource_id = :resource_id)
  AND (:run_id IS NULL OR run_id = :run_id)
  AND (:st_error IS NULL OR (error IS NOT NULL) = :st_error)
  AND (:st_ended IS NULL OR (ended_at IS NOT NULL) = :st_ended)
ORDER BY started_at DESC, trace_id DESC, span_id DESC LIMIT :limit

-- name: roots_by_run
-- roots_page for one run_id, on the run roots index.
SELECT
    trace_id, span_id, name, span_type, started_at, parent_span_id, ended_at, is_event, scope, attributes,
    metadata, links, input, output, error, entity_type, entity_id, entity_name, resource_id, thread_id, run_id,
    session_id, tags, created_at, updated_at, NULL AS children, NULL AS summary
FROM rs_ai_spans
WHERE tenant_id = :tenant_id AND parent_span_id IS NULL
  AND run_id = :run_id
  AND started_at <= :hi AND started_at >= :lo
  AND (started_at < :c_ts OR trace_id < :c_trace OR (trace_id = :c_trace AND span_id < :c_span))
  AND (:name IS NULL OR name = :name)
  AND (:span_type IS NULL OR span_type = :span_type)
  AND (:entity_type IS NULL OR entity_type = :entity_type)
  AND (:entity_id IS NULL OR entity_id = :entity_id)
  AND (:resource_id IS NULL OR resource_id = :resource_id)
  AND (:thread_id IS NULL OR thread_id = :thread_id)
  AND (:st_error IS NULL OR (error IS NOT NULL) = :st_error)
  AND (:st_ended IS NULL OR (ended_at IS NOT NULL) = :st_ended)
ORDER BY started_at DESC, trace_id DESC, span_id DESC LIMIT :limit

-- name: count_roots
-- How many root spans match the filters (with_total).
SELECT count(*) FROM rs_ai_spans
WHERE tenant_id = :tenant_id AND parent_span_id IS NULL
  AND started_at <= :hi AND started_at >= :lo
  AND (:name IS NULL OR name = :name)
  AND (:span_type IS NULL OR span_type = :span_type)
  AND (:entity_type IS NULL OR entity_type = :entity_type)
  AND (:entity_id IS NULL OR entity_id = :entity_id)
  AND (:resource_id IS NULL OR resource_id = :resource_id)
  AND (:thread_id IS NULL OR thread_id = :thread_id)
  AND (:run_id IS NULL OR run_id = :run_id)
  AND (:st_error IS NULL OR (error IS NOT NULL) = :st_error)
  AND (:st_ended IS NULL OR (ended_at IS NOT NULL) = :st_ended)

-- name: trace_totals
-- Totals of each of these traces, over all their spans, in one grouped query on the primary key.
SELECT trace_id, count(*) AS span_count, count(error) AS error_count,
    sum(CASE WHEN ended_at IS NULL AND is_event = 0 THEN 1 ELSE 0 END) AS running,
    sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
    min(started_at) AS first_start, max(COALESCE(ended_at, started_at)) AS last_end
FROM rs_ai_spans WHERE tenant_id = :tenant_id AND trace_id IN (:ids)
GROUP BY trace_id

-- name: delete_traces
-- Delete every span of these traces.
DELETE FROM rs_ai_spans WHERE tenant_id = :tenant_id AND trace_id IN (:ids)

-- name: nth_newest_root
-- The root :n places after the newest (0: the newest), by (started_at, trace_id, span_id) descending.
SELECT started_at, trace_id, span_id FROM rs_ai_spans
WHERE tenant_id = :tenant_id AND parent_span_id IS NULL
ORDER BY started_at DESC, trace_id DESC, span_id DESC LIMIT 1 OFFSET :n

-- name: chunk_end
-- The root :n places after the first root in (lo, hi] of the roots order: where a prune chunk of n + 1 ends.
SELECT started_at, trace_id, span_id FROM rs_ai_spans
WHERE tenant_id = :tenant_id AND parent_span_id IS NULL
  AND started_at >= :lo_ts
  AND (started_at > :lo_ts OR trace_id > :lo_trace OR (trace_id = :lo_trace AND span_id > :lo_span))
  AND started_at <= :hi_ts
  AND (started_at < :hi_ts OR trace_id < :hi_trace OR (trace_id = :hi_trace AND span_id <= :hi_span))
ORDER BY started_at, trace_id, span_id LIMIT 1 OFFSET :n

-- name: delete_root_range
-- Delete the whole traces whose root lies in (lo, hi] of the roots order; no row comes back.
DELETE FROM rs_ai_spans WHERE tenant_id = :tenant_id AND trace_id IN (
    SELECT trace_id FROM rs_ai_spans
    WHERE tenant_id = :tenant_id AND parent_span_id IS NULL
      AND started_at >= :lo_ts
      AND (started_at > :lo_ts OR trace_id > :lo_trace OR (trace_id = :lo_trace AND span_id > :lo_span))
      AND started_at <= :hi_ts
      AND (started_at < :hi_ts OR trace_id < :hi_trace OR (trace_id = :hi_trace AND span_id <= :hi_span)))
