-- name: insert_spans[]
-- Insert a batch of new spans from column arrays in one statement; a (trace_id, span_id) already stored, or
-- twice in the batch, is a unique violation and nothing is written.
INSERT INTO {schema}rs_ai_spans (
    tenant_id, trace_id, span_id, parent_span_id, name, span_type, started_at, ended_at, is_event, input_tokens,
    output_tokens, entity_type, entity_id, entity_name, resource_id, thread_id, run_id, session_id, created_at,
    updated_at, error, scope, tags, links, metadata, attributes, input, output)
SELECT
    tenant_id, trace_id, span_id, parent_span_id, name, span_type, started_at, ended_at, is_event, input_tokens,
    output_tokens, entity_type, entity_id, entity_name, resource_id, thread_id, run_id, session_id, created_at,
    updated_at, error::jsonb, scope::jsonb, tags::jsonb, links::jsonb, metadata::jsonb, attributes::jsonb,
    input::jsonb, output::jsonb
FROM unnest(
    :tenant_id::text[], :trace_id::text[], :span_id::text[], :parent_span_id::text[], :name::text[],
    :span_type::text[], :started_at::timestamptz[], :ended_at::timestamptz[], :is_event::boolean[],
    :input_tokens::int8[], :output_tokens::int8[], :entity_type::text[], :entity_id::text[], :entity_name::text[],
    :resource_id::text[], :thread_id::text[], :run_id::text[], :session_id::text[], :created_at::timestamptz[],
    :updated_at::timestamptz[], :error::text[], :scope::text[], :tags::text[], :links::text[], :metadata::text[],
    :attributes::text[], :input::text[], :output::text[])
    AS u(
        tenant_id, trace_id, span_id, parent_span_id, name, span_type, started_at, ended_at, is_event,
        input_tokens, output_tokens, entity_type, entity_id, entity_name, resource_id, thread_id, run_id,
        session_id, created_at, updated_at, error, scope, tags, links, metadata, attributes, input, output)

-- name: update_spans[]
-- Apply a batch of partial updates from column arrays in one statement: a NULL keeps the stored value.
-- Spans that do not exist are skipped; the command count is the number of spans updated.
UPDATE {schema}rs_ai_spans AS s SET
    name = COALESCE(u.name, s.name), span_type = COALESCE(u.span_type, s.span_type),
    started_at = COALESCE(u.started_at, s.started_at),
    parent_span_id = COALESCE(u.parent_span_id, s.parent_span_id), ended_at = COALESCE(u.ended_at, s.ended_at),
    is_event = COALESCE(u.is_event, s.is_event), input_tokens = COALESCE(u.input_tokens, s.input_tokens),
    output_tokens = COALESCE(u.output_tokens, s.output_tokens),
    entity_type = COALESCE(u.entity_type, s.entity_type), entity_id = COALESCE(u.entity_id, s.entity_id),
    entity_name = COALESCE(u.entity_name, s.entity_name), resource_id = COALESCE(u.resource_id, s.resource_id),
    thread_id = COALESCE(u.thread_id, s.thread_id), run_id = COALESCE(u.run_id, s.run_id),
    session_id = COALESCE(u.session_id, s.session_id), updated_at = u.updated_at,
    error = COALESCE(u.error::jsonb, s.error), scope = COALESCE(u.scope::jsonb, s.scope),
    tags = COALESCE(u.tags::jsonb, s.tags), links = COALESCE(u.links::jsonb, s.links),
    metadata = COALESCE(u.metadata::jsonb, s.metadata), attributes = COALESCE(u.attributes::jsonb, s.attributes),
    input = COALESCE(u.input::jsonb, s.input), output = COALESCE(u.output::jsonb, s.output)
FROM unnest(
    :tenant_id::text[], :trace_id::text[], :span_id::text[], :name::text[], :span_type::text[],
    :started_at::timestamptz[], :parent_span_id::text[], :ended_at::timestamptz[], :is_event::boolean[],
    :input_tokens::int8[], :output_tokens::int8[], :entity_type::text[], :entity_id::text[], :entity_name::text[],
    :resource_id::text[], :thread_id::text[], :run_id::text[], :session_id::text[], :updated_at::timestamptz[],
    :error::text[], :scope::text[], :tags::text[], :links::text[], :metadata::text[], :attributes::text[],
    :input::text[], :output::text[])
    AS u(
        tenant_id, trace_id, span_id, name, span_type, started_at, parent_span_id, ended_at, is_event,
        input_tokens, output_tokens, entity_type, entity_id, entity_name, resource_id, thread_id, run_id,
        session_id, updated_at, error, scope, tags, links, metadata, attributes, input, output)
WHERE s.tenant_id = u.tenant_id AND s.trace_id = u.trace_id AND s.span_id = u.span_id

-- name: update_spans_unindexed[]
-- update_spans for a batch that sets no indexed column (started_at, parent_span_id, the entity, resource,
-- thread and run ids): fewer arrays to send; elsewhere (SQLite) it also spares index writes.
UPDATE {schema}rs_ai_spans AS s SET
    name = COALESCE(u.name, s.name), span_type = COALESCE(u.span_type, s.span_type),
    ended_at = COALESCE(u.ended_at, s.ended_at), is_event = COALESCE(u.is_event, s.is_event),
    input_tokens = COALESCE(u.input_tokens, s.input_tokens),
    output_tokens = COALESCE(u.output_tokens, s.output_tokens),
    entity_type = COALESCE(u.entity_type, s.entity_type), entity_name = COALESCE(u.entity_name, s.entity_name),
    session_id = COALESCE(u.session_id, s.session_id), updated_at = u.updated_at,
    error = COALESCE(u.error::jsonb, s.error), scope = COALESCE(u.scope::jsonb, s.scope),
    tags = COALESCE(u.tags::jsonb, s.tags), links = COALESCE(u.links::jsonb, s.links),
    metadata = COALESCE(u.metadata::jsonb, s.metadata), attributes = COALESCE(u.attributes::jsonb, s.attributes),
    input = COALESCE(u.input::jsonb, s.input), output = COALESCE(u.output::jsonb, s.output)
FROM unnest(
    :tenant_id::text[], :trace_id::text[], :span_id::text[], :name::text[], :span_type::text[],
    :ended_at::timestamptz[], :is_event::boolean[], :input_tokens::int8[], :output_tokens::int8[],
    :entity_type::text[], :entity_name::text[], :session_id::text[], :updated_at::timestamptz[], :error::text[],
    :scope::text[], :tags::text[], :links::text[], :metadata::text[], :attributes::text[], :input::text[],
    :output::text[])
    AS u(
        tenant_id, trace_id, span_id, name, span_type, ended_at, is_event, input_tokens, output_tokens,
        entity_type, entity_name, session_id, updated_at, error, scope, tags, links, metadata, attributes, input,
        output)
WHERE s.tenant_id = u.tenant_id AND s.trace_id = u.trace_id AND s.span_id = u.span_id

-- name: end_spans[]
-- update_spans for a batch of span ends: updates that set only ended_at, output, error, attributes (and so
-- the token counts) and metadata, the "batch with updates" strategy's hot path.
UPDATE {schema}rs_ai_spans AS s SET
    ended_at = COALESCE(u.ended_at, s.ended_at), input_tokens = COALESCE(u.input_tokens, s.input_tokens),
    output_tokens = COALESCE(u.output_tokens, s.output_tokens), updated_at = u.updated_at,
    error = COALESCE(u.error::jsonb, s.error), metadata = COALESCE(u.metadata::jsonb, s.metadata),
    attributes = COALESCE(u.attributes::jsonb, s.attributes), output = COALESCE(u.output::jsonb, s.output)
FROM unnest(
    :tenant_id::text[], :trace_id::text[], :span_id::text[], :ended_at::timestamptz[], :input_tokens::int8[],
    :output_tokens::int8[], :updated_at::timestamptz[], :error::text[], :metadata::text[], :attributes::text[],
    :output::text[])
    AS u(tenant_id, trace_id, span_id, ended_at, input_tokens, output_tokens, updated_at, error, metadata, attributes,
        output)
WHERE s.tenant_id = u.tenant_id AND s.trace_id = u.trace_id AND s.span_id = u.span_id

-- name: get_span
-- One span by its key.
SELECT
    trace_id, span_id, name, span_type, started_at, parent_span_id, ended_at, is_event, scope::text AS scope,
    attributes::text AS attributes, metadata::text AS metadata, links::text AS links, input::text AS input,
    output::text AS output, error::text AS error, entity_type, entity_id, entity_name, resource_id, thread_id,
    run_id, session_id, tags::text AS tags, created_at, updated_at, NULL AS children, NULL AS summary
FROM {schema}rs_ai_spans WHERE tenant_id = :tenant_id AND trace_id = :trace_id AND span_id = :span_id

-- name: trace_spans
-- Every span of a trace, by (started_at, span_id): one range of the primary key, sorted.
SELECT
    trace_id, span_id, name, span_type, started_at, parent_span_id, ended_at, is_event, scope::text AS scope,
    attributes::text AS attributes, metadata::text AS metadata, links::text AS links, input::text AS input,
    output::text AS output, error::text AS error, entity_type, entity_id, entity_name, resource_id, thread_id,
    run_id, session_id, tags::text AS tags, created_at, updated_at, NULL AS children, NULL AS summary
FROM {schema}rs_ai_spans WHERE tenant_id = :tenant_id AND trace_id = :trace_id
ORDER BY started_at, span_id

-- name: roots_page
-- A page of root spans, newest first by (started_at, trace_id, span_id), strictly after the cursor, within
-- [lo, hi], on the roots index; other filters are checked on the roots it walks.
SELECT
    trace_id, span_id, name, span_type, started_at, parent_span_id, ended_at, is_event, scope::text AS scope,
    attributes::text AS attributes, metadata::text AS metadata, links::text AS links, input::text AS input,
    output::text AS output, error::text AS error, entity_type, entity_id, entity_name, resource_id, thread_id,
    run_id, session_id, tags::text AS tags, created_at, updated_at, NULL AS children, NULL AS summary
FROM {schema}rs_ai_spans
WHERE tenant_id = :tenant_id AND parent_span_id IS NULL
  AND started_at <= :hi AND started_at >= :lo
  AND (started_at < :c_ts OR trace_id < :c_trace OR (trace_id = :c_trace AND span_id < :c_span))
  AND (:name::text IS NULL OR name = :name)
  AND (:span_type::text IS NULL OR span_type = :span_type)
  AND (:entity_type::text IS NULL OR entity_type = :entity_type)
  AND (:entity_id::text IS NULL OR entity_id = :entity_id)
  AND (:resource_id::text IS NULL OR resource_id = :resource_id)
  AND (:thread_id::text IS NULL OR thread_id = :thread_id)
  AND (:run_id::text IS NULL OR run_id = :run_id)
  AND (:st_error::boolean IS NULL OR (error IS NOT NULL) = :st_error)
  AND (:st_ended::boolean IS NULL OR (ended_at IS NOT NULL) = :st_ended)
ORDER BY started_at DESC, trace_id DESC, span_id DESC LIMIT :limit

-- name: roots_by_entity
-- roots_page for one entity_id, on the entity roots index.
SELECT
    trace_id, span_id, name, span_type, started_at, parent_span_id, ended_at, is_event, scope::text AS scope,
    attributes::text AS attributes, metadata::text AS metadata, links::text AS links, input::text AS input,
    output::text AS output, error::text AS error, entity_type, entity_id, entity_name, resource_id, thread_id,
    run_id, session_id, tags::text AS tags, created_at, updated_at, NULL AS children, NULL AS summary
FROM {schema}rs_ai_spans
WHERE tenant_id = :tenant_id AND parent_span_id IS NULL
  AND entity_id = :entity_id
  AND started_at <= :hi AND started_at >= :lo
  AND (started_at < :c_ts OR trace_id < :c_trace OR (trace_id = :c_trace AND span_id < :c_span))
  AND (:name::text IS NULL OR name = :name)
  AND (:span_type::text IS NULL OR span_type = :span_type)
  AND (:entity_type::text IS NULL OR entity_type = :entity_type)
  AND (:resource_id::text IS NULL OR resource_id = :resource_id)
  AND (:thread_id::text IS NULL OR thread_id = :thread_id)
  AND (:run_id::text IS NULL OR run_id = :run_id)
  AND (:st_error::boolean IS NULL OR (error IS NOT NULL) = :st_error)
  AND (:st_ended::boolean IS NULL OR (ended_at IS NOT NULL) = :st_ended)
ORDER BY started_at DESC, trace_id DESC, span_id DESC LIMIT :limit

-- name: roots_by_resource
-- roots_page for one resource_id, on the resource roots index.
SELECT
    trace_id, span_id, name, span_type, started_at, parent_span_id, ended_at, is_event, scope::text AS scope,
    attributes::text AS attributes, metadata::text AS metadata, links::text AS links, input::text AS input,
    output::text AS output, error::text AS error, entity_type, entity_id, entity_name, resource_id, thread_id,
    run_id, session_id, tags::text AS tags, created_at, updated_at, NULL AS children, NULL AS summary
FROM {schema}rs_ai_spans
WHERE tenant_id = :tenant_id AND parent_span_id IS NULL
  AND resource_id = :resource_id
  AND started_at <= :hi AND started_at >= :lo
  AND (started_at < :c_ts OR trace_id < :c_trace OR (trace_id = :c_trace AND span_id < :c_span))
  AND (:name::text IS NULL OR name = :name)
  AND (:span_type::text IS NULL OR span_type = :span_type)
  AND (:entity_type::text IS NULL OR entity_type = :entity_type)
  AND (:entity_id::text IS NULL OR entity_id = :entity_id)
  AND (:thread_id::text IS NULL OR thread_id = :thread_id)
  AND (:run_id::text IS NULL OR run_id = :run_id)
  AND (:st_error::boolean IS NULL OR (error IS NOT NULL) = :st_error)
  AND (:st_ended::boolean IS NULL OR (ended_at IS NOT NULL) = :st_ended)
ORDER BY started_at DESC, trace_id DESC, span_id DESC LIMIT :limit

-- name: roots_by_thread
-- roots_page for one thread_id, on the thread roots index.
SELECT
    trace_id, span_id, name, span_type, started_at, parent_span_id, ended_at, is_event, scope::text AS scope,
    attributes::text AS attributes, metadata::text AS metadata, links::text AS links, input::text AS input,
    output::text AS output, error::text AS error, entity_type, entity_id, entity_name, resource_id, thread_id,
    run_id, session_id, tags::text AS tags, created_at, updated_at, NULL AS children, NULL AS summary
FROM {schema}rs_ai_spans
WHERE tenant_id = :tenant_id AND parent_span_id IS NULL
  AND thread_id = :thread_id
  AND started_at <= :hi AND started_at >= :lo
  AND (started_at < :c_ts OR trace_id < :c_trace OR (trace_id = :c_trace AND span_id < :c_span))
  AND (:name::text IS NULL OR name = :name)
  AND (:span_type::text IS NULL OR span_type = :span_type)
  AND (:entity_type::text IS NULL OR entity_type = :entity_type)
  AND (:entity_id::text IS NULL OR entity_id = :entity_id)
  AND (:resource_id::text IS NULL OR resource_id = :resource_id)
  AND (:run_id::text IS NULL OR run_id = :run_id)
  AND (:st_error::boolean IS NULL OR (error IS NOT NULL) = :st_error)
  AND (:st_ended::boolean IS NULL OR (ended_at IS NOT NULL) = :st_ended)
ORDER BY started_at DESC, trace_id DESC, span_id DESC LIMIT :limit

-- name: roots_by_run
-- roots_page for one run_id, on the run roots index.
SELECT
    trace_id, span_id, name, span_type, started_at, parent_span_id, ended_at, is_event, scope::text AS scope,
    attributes::text AS attributes, metadata::text AS metadata, links::text AS links, input::text AS input,
    output::text AS output, error::text AS error, entity_type, entity_id, entity_name, resource_id, thread_id,
    run_id, session_id, tags::text AS tags, created_at, updated_at, NULL AS children, NULL AS summary
FROM {schema}rs_ai_spans
WHERE tenant_id = :tenant_id AND parent_span_id IS NULL
  AND run_id = :run_id
  AND started_at <= :hi AND started_at >= :lo
  AND (started_at < :c_ts OR trace_id < :c_trace OR (trace_id = :c_trace AND span_id < :c_span))
  AND (:name::text IS NULL OR name = :name)
  AND (:span_type::text IS NULL OR span_type = :span_type)
  AND (:entity_type::text IS NULL OR entity_type = :entity_type)
  AND (:entity_id::text IS NULL OR entity_id = :entity_id)
  AND (:resource_id::text IS NULL OR resource_id = :resource_id)
  AND (:thread_id::text IS NULL OR thread_id = :thread_id)
  AND (:st_error::boolean IS NULL OR (error IS NOT NULL) = :st_error)
  AND (:st_ended::boolean IS NULL OR (ended_at IS NOT NULL) = :st_ended)
ORDER BY started_at DESC, trace_id DESC, span_id DESC LIMIT :limit

-- name: count_roots
-- How many root spans match the filters (with_total).
SELECT count(*) FROM {schema}rs_ai_spans
WHERE tenant_id = :tenant_id AND parent_span_id IS NULL
  AND started_at <= :hi AND started_at >= :lo
  AND (:name::text IS NULL OR name = :name)
  AND (:span_type::text IS NULL OR span_type = :span_type)
  AND (:entity_type::text IS NULL OR entity_type = :entity_type)
  AND (:entity_id::text IS NULL OR entity_id = :entity_id)
  AND (:resource_id::text IS NULL OR resource_id = :resource_id)
  AND (:thread_id::text IS NULL OR thread_id = :thread_id)
  AND (:run_id::text IS NULL OR run_id = :run_id)
  AND (:st_error::boolean IS NULL OR (error IS NOT NULL) = :st_error)
  AND (:st_ended::boolean IS NULL OR (ended_at IS NOT NULL) = :st_ended)

-- name: trace_totals
-- Totals of each of these traces, over all their spans, in one grouped query on the primary key.
SELECT trace_id, count(*) AS span_count, count(error) AS error_count,
    sum(CASE WHEN ended_at IS NULL AND is_event = false THEN 1 ELSE 0 END) AS running,
    sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
    min(started_at) AS first_start, max(COALESCE(ended_at, started_at)) AS last_end
FROM {schema}rs_ai_spans WHERE tenant_id = :tenant_id AND trace_id = ANY(:ids)
GROUP BY trace_id

-- name: delete_traces
-- Delete every span of these traces.
DELETE FROM {schema}rs_ai_spans WHERE tenant_id = :tenant_id AND trace_id = ANY(:ids)

-- name: nth_newest_root
-- The root :n places after the newest (0: the newest), by (started_at, trace_id, span_id) descending.
SELECT started_at, trace_id, span_id FROM {schema}rs_ai_spans
WHERE tenant_id = :tenant_id AND parent_span_id IS NULL
ORDER BY started_at DESC, trace_id DESC, span_id DESC LIMIT 1 OFFSET :n

-- name: chunk_end
-- The root :n places after the first root in (lo, hi] of the roots order: where a prune chunk of n + 1 ends.
SELECT started_at, trace_id, span_id FROM {schema}rs_ai_spans
WHERE tenant_id = :tenant_id AND parent_span_id IS NULL
  AND started_at >= :lo_ts
  AND (started_at > :lo_ts OR trace_id > :lo_trace OR (trace_id = :lo_trace AND span_id > :lo_span))
  AND started_at <= :hi_ts
  AND (started_at < :hi_ts OR trace_id < :hi_trace OR (trace_id = :hi_trace AND span_id <= :hi_span))
ORDER BY started_at, trace_id, span_id LIMIT 1 OFFSET :n

-- name: delete_root_range
-- Delete the whole traces whose root lies in (lo, hi] of the roots order; no row comes back.
DELETE FROM {schema}rs_ai_spans WHERE tenant_id = :tenant_id AND trace_id IN (
    SELECT trace_id FROM {schema}rs_ai_spans
    WHERE tenant_id = :tenant_id AND parent_span_id IS NULL
      AND started_at >= :lo_ts
      AND (started_at > :lo_ts OR trace_id > :lo_trace OR (trace_id = :lo_trace AND span_id > :lo_span))
      AND started_at <= :hi_ts
      AND (started_at < :hi_ts OR trace_id < :hi_trace OR (trace_id = :hi_trace AND span_id <= :hi_span)))
