-- name: insert_calls[]
-- Insert a batch of calls from column arrays; an id already stored is skipped (re-logging is idempotent).
INSERT INTO {schema}rs_ai_calls (tenant_id, id, topic, call_type, model_key, model_id, prompt, response,
                                 input_tokens, output_tokens, cost_nanos, metadata, created_at)
SELECT t, i, tp, ct, mk, mi, p, r, it, ot, c, m::jsonb, ca
FROM unnest(:tenant_id::text[], :id::text[], :topic::text[], :call_type::text[], :model_key::text[],
            :model_id::text[], :prompt::text[], :response::text[], :input_tokens::int4[], :output_tokens::int4[],
            :cost_nanos::int8[], :metadata::text[], :created_at::timestamptz[])
     AS u(t, i, tp, ct, mk, mi, p, r, it, ot, c, m, ca)
ON CONFLICT (tenant_id, id) DO NOTHING

-- name: record_batch
-- Mark a batch as recorded; changes no row (count 0) when it already is, also when another transaction recorded
-- it concurrently (the insert waits for that transaction on the key, then sees the conflict).
INSERT INTO {schema}rs_ai_batches (tenant_id, batch_id, calls, recorded_at)
VALUES (:tenant_id, :batch_id, :calls, now())
ON CONFLICT (tenant_id, batch_id) DO NOTHING

-- name: is_recorded
-- A primary-key lookup of a batch marker.
SELECT 1 FROM {schema}rs_ai_batches WHERE tenant_id = :tenant_id AND batch_id = :batch_id

-- name: stats
-- Count, tokens and exact cost per model key over the topics in [prefix, prefix_end): an index range on
-- (tenant_id, topic) that holds exactly the topics starting with the prefix.
SELECT model_key, count(*) AS calls, sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
       sum(cost_nanos) AS cost_nanos
FROM {schema}rs_ai_calls
WHERE tenant_id = :tenant_id AND topic >= :prefix AND topic < :prefix_end
GROUP BY model_key ORDER BY model_key

-- name: get_call
-- One call by id.
SELECT topic, call_type, model_key, model_id, prompt, response, input_tokens, output_tokens, cost_nanos AS cost,
       metadata::text AS metadata, id, created_at
FROM {schema}rs_ai_calls WHERE tenant_id = :tenant_id AND id = :id

-- name: calls_asc
-- A page of one topic's calls by (created_at, id) ascending, after the cursor.
SELECT topic, call_type, model_key, model_id, prompt, response, input_tokens, output_tokens, cost_nanos AS cost,
       metadata::text AS metadata, id, created_at
FROM {schema}rs_ai_calls
WHERE tenant_id = :tenant_id AND topic = :topic AND created_at >= :c_ts AND (created_at > :c_ts OR id > :c_id)
ORDER BY created_at, id LIMIT :limit

-- name: calls_desc
-- A page of one topic's calls by (created_at, id) descending, after the cursor.
SELECT topic, call_type, model_key, model_id, prompt, response, input_tokens, output_tokens, cost_nanos AS cost,
       metadata::text AS metadata, id, created_at
FROM {schema}rs_ai_calls
WHERE tenant_id = :tenant_id AND topic = :topic AND created_at <= :c_ts AND (created_at < :c_ts OR id < :c_id)
ORDER BY created_at DESC, id DESC LIMIT :limit
